package bot_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shopbot/shopbot/internal/testenv"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// TestMain removes the command built for the tests, once they are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// shopbotBinary builds the real command once for the tests that run it as a process.
func shopbotBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shopbot-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "shopbot")
		out, err := exec.Command("go", "build", "-o", binary, "github.com/shopbot/shopbot").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build shopbot: %v", buildErr)
	}
	return binary
}

// process is the bot running as its own OS process.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func (h *harness) startProcess(t *testing.T, env []string) *process {
	t.Helper()
	cmd := exec.Command(shopbotBinary(t))
	for k, v := range h.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = h.logs, h.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	return p
}

// kill is SIGKILL: no shutdown, no cleanup, whatever the process was doing.
func (p *process) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// ownRedisDB gives the processes startProcess starts, which use the default Redis key
// prefix, a Redis database of their own (one per test), away from everything else and
// emptied of them before and after.
func (h *harness) ownRedisDB(t *testing.T, db int) {
	t.Helper()
	opts, err := redis.ParseURL(testenv.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	opts.DB = db
	h.env["REDIS_URL"] = fmt.Sprintf("redis://%s/%d", opts.Addr, opts.DB)
	rdb := redis.NewClient(opts)
	clean := func() {
		keys, _ := rdb.Keys(context.Background(), "shopbot:*").Result()
		if len(keys) > 0 {
			rdb.Del(context.Background(), keys...)
		}
	}
	clean()
	t.Cleanup(func() { clean(); rdb.Close() })
}

var placedRe = regexp.MustCompile(`^✅ Order ([2-9A-HJ-NP-Z]{5}) is booked`)

// The bot is killed (SIGKILL) at random moments while customers book, and started
// again. Afterwards every order a customer was told about is in Postgres with its
// lines, no order lacks lines, the stock reserved is exactly what the live orders hold,
// and every notice reached the sellers.
func TestKilledAtRandomMomentsNothingIsLost(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a process for half a minute: runs without -short")
	}
	t.Parallel()
	h := shopHarness(t)
	h.ownRedisDB(t, 9)
	var env []string

	var mu sync.Mutex
	proc := h.startProcess(t, env)
	s1, _ := sellers(t, h)
	const units = 40
	dress, _ := liveShop(t, h, map[string]int{"S": units, "M": units})
	stop := make(chan struct{})
	killerDone := make(chan struct{})
	kills := 0
	go func() {
		defer close(killerDone)
		r := rand.New(rand.NewSource(7))
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(300+r.Intn(700)) * time.Millisecond):
			}
			mu.Lock()
			proc.kill()
			kills++
			proc = h.startProcess(t, env)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { mu.Lock(); proc.kill(); mu.Unlock() })

	// People think between orders, so the kills land all through their flows. Each
	// seller gets every order at Telegram's one message a second per chat: the count is
	// kept small enough for that to drain within the test.
	const customers = 8
	var wg sync.WaitGroup
	for i := range customers {
		u := h.user(int64(9500+i), fmt.Sprintf("K%d", i), "en")
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(i)))
			for j := range 2 {
				time.Sleep(time.Duration(500+r.Intn(2000)) * time.Millisecond)
				size := []string{"S", "M"}[(i+j)%2]
				confirmPickup(t, h, u, dress, size)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-killerDone
	if kills < 3 {
		t.Errorf("only %d kills happened", kills)
	}

	// What customers were told.
	told := map[string]bool{}
	for i := range customers {
		for _, m := range h.fake.User(int64(9500+i), "", "", "").Messages() {
			if g := placedRe.FindStringSubmatch(m.Text); g != nil {
				told[g[1]] = true
			}
		}
	}
	var codes []string
	h.db.Select(&codes, `SELECT code FROM orders`)
	inDB := map[string]bool{}
	for _, c := range codes {
		inDB[c] = true
	}
	for code := range told {
		if !inDB[code] {
			t.Errorf("order %s was confirmed to its customer but is not in Postgres", code)
		}
	}
	if len(told) != len(codes) {
		t.Errorf("%d orders in Postgres, %d confirmed to customers", len(codes), len(told))
	}
	var bare int
	h.db.Get(&bare, `SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id)`)
	if bare != 0 {
		t.Errorf("%d orders without lines", bare)
	}
	var reserved int
	h.db.Get(&reserved, `SELECT COALESCE(sum(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
WHERE o.status NOT IN ('cancelled', 'expired')`)
	if left := stockOf(t, h, dress, "S") + stockOf(t, h, dress, "M"); left+reserved != 2*units {
		t.Errorf("stock left %d + reserved %d != %d", left, reserved, 2*units)
	}
	// Every notice is delivered: the sellers each got every order (a kill between a send
	// and its record may repeat one; none is lost).
	deadline := time.Now().Add(40 * time.Second)
	for pending := 1; pending > 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		h.db.Get(&pending, `SELECT count(*) FROM outbox WHERE status = 'pending'`)
	}
	for _, code := range codes {
		n := 0
		for _, m := range s1.Messages() {
			if strings.Contains(m.Text, code) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("the seller never got order %s", code)
		}
	}
	t.Logf("%d kills, %d orders, all accounted for", kills, len(codes))
}
