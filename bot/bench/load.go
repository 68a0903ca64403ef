package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/shopbot/shopbot/internal/shoppers"
)

// plan is one load: slots people at once, each going through bookings (or talking, for
// the baselines) one after another, for warm-up and then the measured window. pace, when
// set, is waited before every update: a fixed offered load.
type plan struct {
	slots  int
	warmUp time.Duration
	window time.Duration
	pace   *rate.Limiter
	// talk makes the people Talkers (echo baselines) instead of Shoppers.
	talk bool
	// atStart and atEnd run at the window's edges, to read counters.
	atStart, atEnd func()
}

// outcome is what a load measured in its window.
type outcome struct {
	window   time.Duration
	samples  []shoppers.Sample // answered within the window
	failures int
	firstErr error
	cpu      cpuUse
}

func (o outcome) perSecond() float64 { return float64(len(o.samples)) / o.window.Seconds() }

func (o outcome) placed() int {
	n := 0
	for _, s := range o.samples {
		if s.Placed {
			n++
		}
	}
	return n
}

// percentile of the answer latencies, in milliseconds.
func (o outcome) percentile(p float64) float64 { return o.stepPercentile(p, -1) }

// stepPercentile is percentile for one step's answers (all of them for a negative step).
func (o outcome) stepPercentile(p float64, step shoppers.Step) float64 {
	var ls []time.Duration
	for _, s := range o.samples {
		if step < 0 || s.Step == step {
			ls = append(ls, s.Latency)
		}
	}
	if len(ls) == 0 {
		return math.NaN()
	}
	slices.Sort(ls)
	i := int(math.Ceil(p/100*float64(len(ls)))) - 1
	return float64(ls[max(i, 0)]) / float64(time.Millisecond)
}

// drive drives the crowd by the plan and returns what was answered inside the window.
func drive(ctx context.Context, st *stage, p plan) outcome {
	start := time.Now()
	from, to := start.Add(p.warmUp), start.Add(p.warmUp+p.window)
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()

	var cpuFrom, cpuTo cpuSnapshot
	var edges sync.WaitGroup
	edges.Add(1)
	go func() {
		defer edges.Done()
		sleepUntil(ctx, from)
		cpuFrom = readCPU()
		if p.atStart != nil {
			p.atStart()
		}
		sleepUntil(ctx, to)
		cpuTo = readCPU()
		if p.atEnd != nil {
			p.atEnd()
		}
	}()

	var mu sync.Mutex
	var o outcome
	var wg sync.WaitGroup
	for slot := range p.slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// People arrive over the warm-up, not all at once: bookings started together
			// would reach Confirm together, in waves.
			sleepUntil(loadCtx, start.Add(p.warmUp*time.Duration(slot)/time.Duration(2*p.slots)))
			var mine []shoppers.Sample
			failures := 0
			var firstErr error
			keep := func(s shoppers.Sample, err error) bool {
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						failures++
						if firstErr == nil {
							firstErr = err
						}
					}
					return false
				}
				if done := s.Sent.Add(s.Latency); !done.Before(from) && done.Before(to) {
					mine = append(mine, s)
				}
				return true
			}
			for time.Now().Before(to) && loadCtx.Err() == nil {
				if p.talk {
					t := st.crowd.NewTalker()
					for time.Now().Before(to) && waitPace(loadCtx, p.pace) && keep(t.Say(loadCtx)) {
					}
					t.Close()
					continue
				}
				s := st.crowd.NewShopper()
				for !s.Done() && time.Now().Before(to) && waitPace(loadCtx, p.pace) && keep(s.Next(loadCtx)) {
				}
				s.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			o.samples = append(o.samples, mine...)
			o.failures += failures
			if o.firstErr == nil {
				o.firstErr = firstErr
			}
		}()
	}
	edges.Wait()
	// People waiting for an answer to an update sent before the end get it, so the bot
	// is left with nothing in flight.
	wg.Wait()
	o.window = p.window
	o.cpu = cpuTo.since(cpuFrom)
	return o
}

func waitPace(ctx context.Context, l *rate.Limiter) bool {
	if l == nil {
		return ctx.Err() == nil
	}
	return l.Wait(ctx) == nil
}

func sleepUntil(ctx context.Context, t time.Time) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(t)):
	}
}

// cpuSnapshot is CPU time used so far by this process, Postgres, Redis and the whole
// machine, and the time the hypervisor gave the machine's cores to other guests.
type cpuSnapshot struct {
	at                                  time.Time
	self, postgres, redis, total, steal time.Duration
}

// cpuUse is the share of one core each used over a window (1 = a whole core); other is
// what the rest of the machine used and stolen what the hypervisor took, both of which
// should be near zero for figures to be trusted.
type cpuUse struct{ self, postgres, redis, other, stolen float64 }

func (c cpuSnapshot) since(d cpuSnapshot) cpuUse {
	wall := c.at.Sub(d.at).Seconds()
	if wall <= 0 {
		return cpuUse{}
	}
	u := cpuUse{self: (c.self - d.self).Seconds() / wall, postgres: (c.postgres - d.postgres).Seconds() / wall,
		redis: (c.redis - d.redis).Seconds() / wall, stolen: (c.steal - d.steal).Seconds() / wall}
	u.other = max(0, (c.total-d.total).Seconds()/wall-u.self-u.postgres-u.redis)
	return u
}

// machineCPU is the time all cores spent busy, and the time stolen from them by the
// hypervisor, from /proc/stat (Linux).
func machineCPU() (busy, steal time.Duration) {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	fields := strings.Fields(line)
	var busyTicks, stealTicks int64
	for i, f := range fields[1:] {
		n, _ := strconv.ParseInt(f, 10, 64)
		switch {
		case i == 7:
			stealTicks = n
		case i != 3 && i != 4 && i < 7: // not idle, iowait, steal, or guest time (already in user)
			busyTicks += n
		}
	}
	return time.Duration(busyTicks) * 10 * time.Millisecond, time.Duration(stealTicks) * 10 * time.Millisecond
}

func readCPU() cpuSnapshot {
	s := cpuSnapshot{at: time.Now()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	s.postgres = processesCPU("postgres")
	s.redis = processesCPU("redis-server")
	s.total, s.steal = machineCPU()
	return s
}

// processesCPU adds up the CPU time of the processes named comm and of their children
// that exited, from /proc (Linux; zero elsewhere). The kernel counts in clock ticks of
// 1/100 s.
func processesCPU(comm string) time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var ticks int64
	for _, d := range dirs {
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || end < open || string(stat[open+1:end]) != comm {
			continue
		}
		fields := strings.Fields(string(stat[end+1:]))
		if len(fields) < 15 {
			continue
		}
		// utime and stime (fields 14 and 15 of stat), and cutime and cstime (16 and 17):
		// what exited children used, so a backend or an autovacuum worker that ended
		// during the window still counts, through the postmaster that reaped it.
		for _, f := range fields[11:15] {
			n, _ := strconv.ParseInt(f, 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// rssOf is a process's resident set size in bytes, from /proc (Linux).
func rssOf(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// promText is a scrape of a Prometheus text endpoint: every sample by name, labels aside.
type promText map[string][]promSample

type promSample struct {
	labels string
	value  float64
}

func parseProm(body []byte) promText {
	out := promText{}
	for line := range strings.SplitSeq(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		name, labels := line[:sp], ""
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name, labels = name[:i], name[i:]
		}
		out[name] = append(out[name], promSample{labels, v})
	}
	return out
}

// sum adds a metric over all its labels.
func (p promText) sum(name string) float64 {
	t := 0.0
	for _, s := range p[name] {
		t += s.value
	}
	return t
}

// buckets adds a histogram's buckets over its other labels, by upper bound.
func (p promText) buckets(name string) map[float64]float64 {
	out := map[float64]float64{}
	for _, s := range p[name+"_bucket"] {
		i := strings.Index(s.labels, `le="`)
		if i < 0 {
			continue
		}
		rest := s.labels[i+4:]
		le, err := strconv.ParseFloat(rest[:strings.IndexByte(rest, '"')], 64)
		if err != nil {
			continue
		}
		out[le] += s.value
	}
	return out
}

// histogramQuantile estimates a quantile (0–1) of what a histogram counted between two
// scrapes, interpolating inside a bucket as Prometheus does; in milliseconds.
func histogramQuantile(q float64, before, after map[float64]float64) float64 {
	var les []float64
	for le := range after {
		les = append(les, le)
	}
	slices.Sort(les)
	if len(les) == 0 {
		return math.NaN()
	}
	total := after[les[len(les)-1]] - before[les[len(les)-1]]
	if total <= 0 {
		return math.NaN()
	}
	rank := q * total
	prevLe, prevCount := 0.0, 0.0
	for _, le := range les {
		count := after[le] - before[le]
		if count >= rank {
			if math.IsInf(le, 1) {
				return prevLe * 1000
			}
			if count == prevCount {
				return le * 1000
			}
			return (prevLe + (le-prevLe)*(rank-prevCount)/(count-prevCount)) * 1000
		}
		prevLe, prevCount = le, count
	}
	return math.NaN()
}
