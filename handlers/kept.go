package handlers

import (
	"maps"
	"sync"
	"time"
)

// keptFor is how long a process keeps what every order needs and sellers rarely change
// (their languages, the shop's settings) before reading it again.
const keptFor = 10 * time.Second

// kept holds a map read from Postgres for keptFor. A change made through this process
// drops it at once (forget); one made through another process is seen within keptFor.
type kept[K comparable, V any] struct {
	mu     sync.Mutex
	m      map[K]V
	expiry time.Time
	// gen counts forget calls: a map read before one is not kept after it.
	gen uint64
}

// get returns a copy of the map kept, or nil and the generation to put a new read with.
func (k *kept[K, V]) get() (map[K]V, uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil || !time.Now().Before(k.expiry) {
		return nil, k.gen
	}
	return maps.Clone(k.m), k.gen
}

// put keeps a map read at generation gen, unless it was forgotten since.
func (k *kept[K, V]) put(m map[K]V, gen uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if gen == k.gen {
		k.m, k.expiry = maps.Clone(m), time.Now().Add(keptFor)
		if k.m == nil {
			k.m = map[K]V{}
		}
	}
}

// forget drops the map kept, and any read under way.
func (k *kept[K, V]) forget() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m = nil
	k.gen++
}
