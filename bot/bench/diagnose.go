package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// traceBooking takes one new customer through the booking alone and prints, step by step,
// the statements and Redis commands the bot sent for it (-trace).
func traceBooking(ctx context.Context, st *stage, w io.Writer) error {
	p := st.crowd.NewShopper()
	defer p.Close()
	fmt.Fprintln(w, "\nOne booking, step by step: Postgres statements (text of each parsed or simple query) and Redis commands")
	for !p.Done() {
		time.Sleep(300 * time.Millisecond) // let the background work of the last step end
		tracing.start()
		sample, err := p.Next(ctx)
		time.Sleep(300 * time.Millisecond) // the session is saved after the answer
		sent := tracing.stop()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s (%.1f ms):\n", sample.Step, float64(sample.Latency)/float64(time.Millisecond))
		for _, s := range sent {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
	return nil
}

// waitSampler counts what the Postgres connections of the run that are not idle are doing,
// every 50 ms: a profile of where the database time goes (-pgwaits).
type waitSampler struct {
	stop    func()
	mu      sync.Mutex
	samples int
	seen    map[string]int
}

func sampleWaits(ctx context.Context, st *stage) *waitSampler {
	ctx, cancel := context.WithCancel(ctx)
	ws := &waitSampler{seen: map[string]int{}}
	done := make(chan struct{})
	ws.stop = func() { cancel(); <-done }
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			var rows []struct {
				What string `db:"what"`
			}
			err := st.admin.SelectContext(ctx, &rows, `SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU') || ' | ' || state || ' | ' ||
    left(regexp_replace(query, '\s+', ' ', 'g'), 70) AS what
FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'`)
			if err != nil {
				continue
			}
			ws.mu.Lock()
			ws.samples++
			for _, r := range rows {
				ws.seen[r.What]++
			}
			ws.mu.Unlock()
		}
	}()
	return ws
}

// report prints the busiest states: connections busy in that state, on average.
func (ws *waitSampler) report(w io.Writer) {
	ws.stop()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	type entry struct {
		what string
		n    int
	}
	var es []entry
	total := 0
	for what, n := range ws.seen {
		es = append(es, entry{what, n})
		total += n
	}
	sort.Slice(es, func(i, j int) bool { return es[i].n > es[j].n })
	fmt.Fprintf(w, "\nPostgres connections not idle, on average over %d samples: %.1f; the busiest states:\n", ws.samples, float64(total)/float64(max(ws.samples, 1)))
	for i, e := range es {
		if i == 20 {
			break
		}
		fmt.Fprintf(w, "  %5.2f  %s\n", float64(e.n)/float64(max(ws.samples, 1)), e.what)
	}
}
