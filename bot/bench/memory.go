package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shopbot/shopbot/bot"
)

// childEnv makes this program the bot alone, for the memory figures: the parent measures
// the child's resident memory without the fake and the crowd in it.
const childEnv = "SHOPBOT_BENCH_CHILD"

// runChild runs the bot from the environment, as main does, with the benchmark's options;
// it prints its HTTP address for the parent, then serves until SIGTERM.
func runChild(ctx context.Context, getenv func(string) string) error {
	cfg, err := bot.LoadConfig(getenv)
	if err != nil {
		return err
	}
	opts := benchOptions(getenv("SHOPBOT_BENCH_KEY_PREFIX"), getenv("SHOPBOT_BENCH_UNPACED") == "1")
	opts.Logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app, err := bot.New(ctx, cfg, opts)
	if err != nil {
		return err
	}
	fmt.Println(app.HTTPAddr())
	return app.Run(ctx)
}

// memPoint is the child's memory at one moment.
type memPoint struct {
	rss, heapInuse, stacks int64
	goroutines             int64
}

func (p memPoint) String() string {
	return fmt.Sprintf("RSS %5.1f MB (Go heap in use %5.1f MB, stacks %4.1f MB, %d goroutines)",
		mb(p.rss), mb(p.heapInuse), mb(p.stacks), p.goroutines)
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

type memResult struct {
	idle, sessions, after, settled memPoint
	sessionKeys                    int64
	greetFailures                  int64
	load                           outcome
}

// memory starts the bot as a child process and measures it idle, with n live sessions
// (n new people sent /start), and after a full-flow load by the plan.
func memory(ctx context.Context, st *stage, n int, load plan, unpaced bool) (memResult, error) {
	var res memResult
	prefix := st.prefix + "mem:"
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), childEnv+"=1", "SHOPBOT_BENCH_KEY_PREFIX="+prefix)
	if unpaced {
		cmd.Env = append(cmd.Env, "SHOPBOT_BENCH_UNPACED=1")
	}
	for k, v := range st.env("", "") {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	calls := st.fake.Calls("getUpdates")
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	addrLine := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			addrLine <- sc.Text()
		}
		close(addrLine)
		for sc.Scan() {
		}
	}()
	var addr string
	select {
	case addr = <-addrLine:
	case <-time.After(time.Minute):
	}
	if addr == "" {
		return res, errors.New("the bot process did not start")
	}
	if err := waitFor(10*time.Second, func() bool { return st.fake.Calls("getUpdates") > calls }); err != nil {
		return res, errors.New("the bot process did not start polling")
	}
	point := func() (memPoint, error) {
		body, err := get(ctx, "http://"+addr+"/metrics")
		if err != nil {
			return memPoint{}, err
		}
		m := parseProm(body)
		return memPoint{rss: rssOf(cmd.Process.Pid), heapInuse: int64(m.sum("go_memstats_heap_inuse_bytes")),
			stacks: int64(m.sum("go_memstats_stack_inuse_bytes")), goroutines: int64(m.sum("go_goroutines"))}, nil
	}

	time.Sleep(3 * time.Second)
	if res.idle, err = point(); err != nil {
		return res, err
	}

	// n new people, 200 at a time, each sends /start and gets the greeting.
	var next, failures atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				if _, err := st.crowd.Greet(ctx); err != nil {
					failures.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	res.greetFailures = failures.Load()
	iter := st.rdb.Scan(ctx, 0, prefix+"session:*", 1000).Iterator()
	for iter.Next(ctx) {
		res.sessionKeys++
	}
	time.Sleep(2 * time.Second)
	if res.sessions, err = point(); err != nil {
		return res, err
	}

	res.load = drive(ctx, st, load)
	if res.after, err = point(); err != nil {
		return res, err
	}
	time.Sleep(5 * time.Second)
	if res.settled, err = point(); err != nil {
		return res, err
	}
	return res, nil
}

// isChild reports whether this process is the bot of a memory measurement.
func isChild(getenv func(string) string) bool { return strings.TrimSpace(getenv(childEnv)) == "1" }
