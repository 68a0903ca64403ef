// Command bench measures the shop bot end to end: the real bot, in this process, against
// the fake Bot API (bot/telegramtest, with Telegram's limits off) and real Postgres and
// Redis, driven by simulated customers who each book an item once (deep link, item card,
// size, quantity, checkout with pickup, Confirm, receipt photo) while the sellers confirm
// payments. It prints, for long polling and for webhook mode, the throughput at
// saturation and the latency at a fixed offered load, the Postgres statements and Redis
// commands per update, and the same load on two baselines on the same fake: a bare
// telebot echo bot, and the fake answering by itself (the harness's ceiling). It measures
// orders a second when customers waiting at the summary all confirm, against the same
// orders placed with raw SQL, and the bot's memory as a child process with 10,000 live
// sessions. bot/bench/README.md says how to read the figures.
//
//	go run ./bot/bench [-short] [-customers N] [-duration D]
//
// The services are TEST_DATABASE_URL and TEST_REDIS_URL (localhost defaults, as the tests
// use); the run creates its own schema and key prefix and removes them at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/time/rate"

	"github.com/shopbot/shopbot/internal/shoppers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if isChild(os.Getenv) {
		err = runChild(ctx, os.Getenv)
	} else {
		err = run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type settings struct {
	short      bool
	customers  int           // people at once at saturation
	window     time.Duration // each measured window
	warmUp     time.Duration
	rate       float64 // the fixed offered load, updates a second
	runs       int     // figures are the median of this many runs
	sessions   int     // live sessions for the memory figure
	steppers   int     // customers in the per-step count
	cpuProfile string
	skipMemory bool
	// Diagnostics: which scenarios run, and what to print besides the figures.
	only    map[string]bool
	modes   []string
	trace   bool
	pgWaits bool
	// Experiments with the bot's configuration (what the process is given, not its code).
	outboxUnpaced bool
}

// wants reports whether a scenario (fake, echo, bot, steps, memory, raw) is to run.
func (s settings) wants(scenario string) bool { return len(s.only) == 0 || s.only[scenario] }

func parseSettings(args []string, stdout io.Writer) (settings, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var s settings
	fs.BoolVar(&s.short, "short", false, "seconds instead of minutes, for CI: one run, short windows, 1,000 sessions")
	fs.IntVar(&s.customers, "customers", 300, "customers at once at saturation")
	fs.DurationVar(&s.window, "duration", 20*time.Second, "each measured window (after a warm-up of a quarter of it)")
	fs.Float64Var(&s.rate, "rate", 200, "the fixed offered load for the latency figures, updates a second")
	fs.IntVar(&s.runs, "runs", 3, "runs of each scenario; the figures are their median")
	fs.IntVar(&s.sessions, "sessions", 10000, "live sessions for the memory figure")
	fs.IntVar(&s.steppers, "steppers", 200, "customers taking each step together in the per-step count")
	fs.StringVar(&s.cpuProfile, "cpuprofile", "", "write CPU profiles of the first saturation window of each mode to `prefix`-longpolling.pprof and -webhook.pprof")
	fs.BoolVar(&s.skipMemory, "skip-memory", false, "skip the memory figures (the bot as a child process)")
	only := fs.String("only", "", "run only these scenarios, comma-separated: fake, echo, bot, steps, memory, raw")
	modes := fs.String("modes", "long polling,webhook", "intake modes, comma-separated")
	fs.BoolVar(&s.trace, "trace", false, "print the statements and Redis commands of one customer's booking, step by step")
	fs.BoolVar(&s.pgWaits, "pgwaits", false, "sample what the bot's Postgres connections wait on during each saturation window")
	fs.BoolVar(&s.outboxUnpaced, "outbox-unpaced", false, "experiment: the outbox sends as fast as it can (bot.Options SendRate and ChatRate) instead of at Telegram's pace")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	s.only = map[string]bool{}
	for name := range strings.SplitSeq(*only, ",") {
		if name = strings.TrimSpace(name); name != "" {
			s.only[name] = true
		}
	}
	for m := range strings.SplitSeq(*modes, ",") {
		switch m = strings.TrimSpace(m); m {
		case "long polling", "polling":
			s.modes = append(s.modes, "long polling")
		case "webhook":
			s.modes = append(s.modes, "webhook")
		default:
			return s, fmt.Errorf("bench: unknown mode %q", m)
		}
	}
	if len(s.only) > 0 && !s.only["memory"] {
		s.skipMemory = true
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if s.short {
		defaults := map[string]func(){
			"duration": func() { s.window = 2 * time.Second },
			"runs":     func() { s.runs = 1 },
			"sessions": func() { s.sessions = 1000 },
			"steppers": func() { s.steppers = 50 },
		}
		for name, f := range defaults {
			if !set[name] {
				f()
			}
		}
	}
	s.warmUp = max(s.window/4, time.Second)
	if s.customers < 1 || s.runs < 1 || s.window <= 0 || s.rate <= 0 {
		return s, fmt.Errorf("bench: -customers, -runs, -duration and -rate must be positive")
	}
	return s, nil
}

// figures are one run's numbers by name; a table shows the median over runs.
type figures map[string]float64

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	s, err := parseSettings(args, stdout)
	if err != nil {
		return err
	}
	began := time.Now()
	progress := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "[%6.1fs] "+format+"\n", append([]any{time.Since(began).Seconds()}, a...)...)
	}
	st, err := newStage(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.close()

	modes := s.modes
	byMode := map[string][]figures{}
	var steps [shoppers.Steps]Counts
	opened := false
	for _, mode := range modes {
		webhook := mode == "webhook"
		for r := range s.runs {
			f := figures{}
			if s.wants("fake") {
				progress("%s, run %d: the fake alone", mode, r+1)
				o, err := measureResponder(ctx, st, rawResponder, webhook, s)
				if err != nil {
					return fmt.Errorf("%s: fake alone: %w", mode, err)
				}
				f["ceiling"], f["ceilingCPU"] = o.perSecond(), o.cpu.self
			}
			if s.wants("echo") {
				progress("%s, run %d: bare telebot echo bot", mode, r+1)
				o, err := measureResponder(ctx, st, echoBot, webhook, s)
				if err != nil {
					return fmt.Errorf("%s: echo bot: %w", mode, err)
				}
				f["echo"] = o.perSecond()
			}
			if s.wants("bot") || s.wants("steps") {
				progress("%s, run %d: the bot", mode, r+1)
				profile := ""
				if r == 0 && s.cpuProfile != "" {
					profile = s.cpuProfile + "-" + strings.ReplaceAll(mode, " ", "") + ".pprof"
				}
				var stepCounts *[shoppers.Steps]Counts
				if r == 0 && mode == modes[0] && s.wants("steps") {
					stepCounts = &steps
				}
				if err := measureBot(ctx, st, webhook, s, f, !opened, profile, stepCounts); err != nil {
					return fmt.Errorf("%s: bot: %w", mode, err)
				}
				opened = true
				progress("  → %.0f customer updates/s, %.1f orders/s at saturation (the rest of the machine %.2f cores, stolen %.2f); p99 %.1f ms at %.0f/s; Confirm alone %.1f orders/s",
					f["sat"], f["orders"], f["cpuOther"], f["cpuStolen"], f["fixP99"], s.rate, f["burst"])
			}
			byMode[mode] = append(byMode[mode], f)
		}
	}

	var mem memResult
	if !s.skipMemory {
		progress("memory: the bot as a child process, %d sessions", s.sessions)
		stopSellers := st.confirmPayments(ctx)
		mem, err = memory(ctx, st, s.sessions, plan{slots: s.customers, warmUp: s.warmUp, window: s.window}, s.outboxUnpaced)
		stopSellers()
		if err != nil {
			return fmt.Errorf("memory: %w", err)
		}
	}

	raw := math.NaN()
	var rawCPU cpuUse
	if s.wants("raw") {
		var perRun []float64
		for r := range s.runs {
			progress("raw SQL orders, run %d", r+1)
			perSecond, cpu, err := rawOrders(ctx, st, 4*s.customers, s.customers)
			if err != nil {
				return fmt.Errorf("raw SQL: %w", err)
			}
			perRun = append(perRun, perSecond)
			rawCPU = cpu
		}
		raw = median(perRun)
	}
	report(stdout, s, modes, byMode, steps, mem, raw, rawCPU)
	return nil
}

func measureResponder(ctx context.Context, st *stage, r responder, webhook bool, s settings) (outcome, error) {
	stop, err := r(ctx, st, webhook)
	if err != nil {
		return outcome{}, err
	}
	defer stop()
	o := drive(ctx, st, plan{slots: s.customers, warmUp: s.warmUp, window: s.window, talk: true})
	if o.failures > 0 {
		return o, fmt.Errorf("%d people got no answer: %w", o.failures, o.firstErr)
	}
	return o, nil
}

// confirmPayments sets the sellers confirming payments, 2.5 a second each (under the
// bot's limit of 30 updates in 10 s for one person); stop ends it.
func (st *stage) confirmPayments(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, seller := range st.sellers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seller.ConfirmPayments(ctx, 2.5)
		}()
	}
	return func() { cancel(); wg.Wait() }
}

// measureBot runs the bot at saturation and at the fixed load, and counts each step.
func measureBot(ctx context.Context, st *stage, webhook bool, s settings, f figures, openSellers bool, profile string, steps *[shoppers.Steps]Counts) error {
	b, err := st.startBot(ctx, webhook, s.outboxUnpaced)
	if err != nil {
		return err
	}
	defer b.stop()
	if openSellers {
		for _, seller := range st.sellers {
			if err := seller.Open(ctx); err != nil {
				return fmt.Errorf("seller /start: %w", err)
			}
		}
	}
	confirmed := func() int64 {
		n := int64(0)
		for _, seller := range st.sellers {
			n += seller.Confirmed.Load()
		}
		return n
	}
	read := func(e *edge) func() {
		return func() {
			e.at, e.counts, e.paid = time.Now(), readCounts(), confirmed()
			body, err := get(ctx, b.metricsURL())
			if err == nil {
				e.metrics = parseProm(body)
			}
		}
	}

	if s.wants("bot") {
		if err := loadBot(ctx, st, b, s, f, profile, read); err != nil {
			return err
		}
	}
	if steps != nil {
		if err := countSteps(ctx, st, s.steppers, steps); err != nil {
			return fmt.Errorf("per-step count: %w", err)
		}
		if s.trace {
			if err := traceBooking(ctx, st, os.Stderr); err != nil {
				return fmt.Errorf("trace: %w", err)
			}
		}
	}
	return nil
}

// edge is what is read at the edges of a measured window.
type edge struct {
	at      time.Time
	counts  Counts
	metrics promText
	paid    int64
}

// loadBot measures the bot at the fixed offered load, then at saturation. Each starts with
// an empty outbox: the notices a saturation run leaves behind take minutes at Telegram's
// pace, and are dropped (marked sent) rather than carried into the next measurement.
func loadBot(ctx context.Context, st *stage, b *runningBot, s settings, f figures, profile string, read func(*edge) func()) error {
	stopSellers := st.confirmPayments(ctx)
	defer stopSellers()
	var from, to edge

	st.dropOutbox(ctx)
	fixed := drive(ctx, st, plan{slots: max(50, int(s.rate/4)), warmUp: s.warmUp, window: s.window,
		pace: rate.NewLimiter(rate.Limit(s.rate), 1), atStart: read(&from), atEnd: read(&to)})
	f["fixRate"] = fixed.perSecond()
	f["fixP50"], f["fixP95"], f["fixP99"] = fixed.percentile(50), fixed.percentile(95), fixed.percentile(99)
	for step := range shoppers.Step(shoppers.Steps) {
		f["fixP99 "+step.String()] = fixed.stepPercentile(99, step)
	}
	hb, ha := from.metrics.buckets("shopbot_handler_duration_seconds"), to.metrics.buckets("shopbot_handler_duration_seconds")
	f["fixBotP50"], f["fixBotP95"], f["fixBotP99"] = histogramQuantile(.5, hb, ha), histogramQuantile(.95, hb, ha), histogramQuantile(.99, hb, ha)
	f["fixFailures"] = float64(fixed.failures)
	if fixed.failures > 0 {
		fmt.Fprintf(os.Stderr, "  %d steps failed at the fixed load; the first: %v\n", fixed.failures, fixed.firstErr)
	}

	// Orders alone: people waiting at the summary all confirm, as many at once as at
	// saturation, as the raw SQL baseline places them.
	st.dropOutbox(ctx)
	burst, err := confirmBurst(ctx, st, 4*s.customers, s.customers)
	if err != nil {
		return fmt.Errorf("confirm burst: %w", err)
	}
	f["burst"], f["burstP99"] = burst.perSecond(), burst.percentile(99)

	st.dropOutbox(ctx)
	var profErr error
	var profFile *os.File
	atStart := read(&from)
	atEnd := read(&to)
	if profile != "" {
		atStart = func() {
			read(&from)()
			if profFile, profErr = os.Create(profile); profErr == nil {
				profErr = pprof.StartCPUProfile(profFile)
			}
		}
		atEnd = func() {
			if profErr == nil {
				pprof.StopCPUProfile()
				profFile.Close()
			}
			read(&to)()
		}
	}
	if s.pgWaits {
		var waits *waitSampler
		start, end := atStart, atEnd
		atStart = func() { start(); waits = sampleWaits(ctx, st) }
		atEnd = func() { waits.report(os.Stderr); end() }
	}
	sat := drive(ctx, st, plan{slots: s.customers, warmUp: s.warmUp, window: s.window, atStart: atStart, atEnd: atEnd})
	if profErr != nil {
		return profErr
	}
	var backlog int
	st.db.GetContext(ctx, &backlog, `SELECT count(*) FROM outbox WHERE status = 'pending'`)
	var dbOrders int
	st.db.GetContext(ctx, &dbOrders, `SELECT count(*) FROM orders WHERE created_at >= $1 AND created_at < $2 AND customer_id >= 10000000`, from.at, to.at)
	window := to.at.Sub(from.at).Seconds()
	handled := to.metrics.sum("shopbot_updates_total") - from.metrics.sum("shopbot_updates_total")
	c := to.counts.sub(from.counts)
	f["sat"], f["satBot"] = sat.perSecond(), handled/window
	f["orders"], f["ordersDB"] = float64(sat.placed())/sat.window.Seconds(), float64(dbOrders)/window
	f["satP50"], f["satP95"], f["satP99"] = sat.percentile(50), sat.percentile(95), sat.percentile(99)
	hb, ha = from.metrics.buckets("shopbot_handler_duration_seconds"), to.metrics.buckets("shopbot_handler_duration_seconds")
	f["satBotP50"], f["satBotP95"], f["satBotP99"] = histogramQuantile(.5, hb, ha), histogramQuantile(.95, hb, ha), histogramQuantile(.99, hb, ha)
	f["pgStmt"], f["pgRT"] = float64(c.PGStatements)/handled, float64(c.PGRoundTrips)/handled
	f["redisCmd"], f["redisRT"] = float64(c.RedisCommands)/handled, float64(c.RedisRoundTrips)/handled
	f["cpuSelf"], f["cpuPG"], f["cpuRedis"], f["cpuOther"] = sat.cpu.self, sat.cpu.postgres, sat.cpu.redis, sat.cpu.other
	f["cpuStolen"] = sat.cpu.stolen
	f["failures"] = float64(sat.failures)
	f["paid"] = float64(to.paid-from.paid) / window
	f["backlog"] = float64(backlog)
	if sat.failures > 0 {
		fmt.Fprintf(os.Stderr, "  %d steps failed at saturation; the first: %v\n", sat.failures, sat.firstErr)
	}
	return nil
}

// confirmBurst brings n new customers to the order summary, then has them press Confirm,
// at most at once, and measures the orders placed from the first press to the last answer.
func confirmBurst(ctx context.Context, st *stage, n, at int) (outcome, error) {
	people := make([]*shoppers.Shopper, n)
	for i := range people {
		people[i] = st.crowd.NewShopper()
		defer people[i].Close()
	}
	each := func(f func(p *shoppers.Shopper) error) error {
		var next atomic.Int64
		errs := make(chan error, at)
		var wg sync.WaitGroup
		for range at {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
					if err := f(people[i]); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	err := each(func(p *shoppers.Shopper) error {
		for range shoppers.Confirm {
			if _, err := p.Next(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return outcome{}, err
	}
	var mu sync.Mutex
	var o outcome
	start := time.Now()
	err = each(func(p *shoppers.Shopper) error {
		sample, err := p.Next(ctx)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if sample.Placed {
			o.samples = append(o.samples, sample)
		}
		return nil
	})
	o.window = time.Since(start)
	return o, err
}

// dropOutbox marks every pending message sent, so a measurement starts with an empty outbox.
func (st *stage) dropOutbox(ctx context.Context) {
	if _, err := st.db.ExecContext(ctx, `UPDATE outbox SET status = 'sent' WHERE status = 'pending'`); err != nil {
		fmt.Fprintln(os.Stderr, "  drop the outbox:", err)
	}
}

// countSteps has n new customers take each step of the booking together and counts what
// the bot asked of Postgres and Redis for it, including the session saved after its answer,
// per update. The sellers' notices it causes are not in it: the outbox sends them at
// Telegram's pace, one a second per seller, long after the count is taken.
func countSteps(ctx context.Context, st *stage, n int, out *[shoppers.Steps]Counts) error {
	people := make([]*shoppers.Shopper, n)
	for i := range people {
		people[i] = st.crowd.NewShopper()
		defer people[i].Close()
	}
	st.dropOutbox(ctx)
	quiet := func() {
		last, still := readCounts(), time.Now()
		deadline := time.Now().Add(time.Minute)
		for time.Since(still) < 300*time.Millisecond && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			if c := readCounts(); c != last {
				last, still = c, time.Now()
			}
		}
	}
	for step := range shoppers.Steps {
		quiet()
		before := readCounts()
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for _, p := range people {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := p.Next(ctx); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
		quiet()
		out[step] = readCounts().sub(before)
	}
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianOf(runs []figures, key string) float64 {
	var xs []float64
	for _, f := range runs {
		if v, ok := f[key]; ok {
			xs = append(xs, v)
		}
	}
	return median(xs)
}

func report(w io.Writer, s settings, modes []string, byMode map[string][]figures, steps [shoppers.Steps]Counts, mem memResult, raw float64, rawCPU cpuUse) {
	fmt.Fprintf(w, "\nShopBot benchmark — %d customers at once at saturation, %s windows after %s warm-up, median of %d run(s)\n",
		s.customers, s.window, s.warmUp, s.runs)
	pace := "the outbox at Telegram's pace (the bot's defaults)"
	if s.outboxUnpaced {
		pace = "the outbox unpaced (-outbox-unpaced)"
	}
	fmt.Fprintf(w, "Fake Bot API with Telegram's limits off (telegramtest.Unlimited); %s; the bot in this process.\n\n", pace)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "\t"
	for _, m := range modes {
		header += m + "\t"
	}
	fmt.Fprintln(tw, header)
	row := func(label, format string, value func(runs []figures) float64) {
		line := label + "\t"
		for _, m := range modes {
			line += fmt.Sprintf(format, value(byMode[m])) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	key := func(k string) func([]figures) float64 { return func(r []figures) float64 { return medianOf(r, k) } }
	ratio := func(a, b string) func([]figures) float64 {
		return func(r []figures) float64 { return medianOf(r, a) / medianOf(r, b) }
	}
	triple := func(label, p50, p95, p99 string) {
		line := label + "\t"
		for _, m := range modes {
			r := byMode[m]
			line += fmt.Sprintf("%.1f / %.1f / %.1f", medianOf(r, p50), medianOf(r, p95), medianOf(r, p99)) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	row("fake alone (raw responder), updates/s", "%.0f", key("ceiling"))
	row("  its CPU, cores", "%.2f", key("ceilingCPU"))
	row("bare telebot echo bot, updates/s", "%.0f", key("echo"))
	row("bot: customer updates/s at saturation", "%.0f", key("sat"))
	row("  ratio to the echo bot", "%.2f", ratio("sat", "echo"))
	row("  updates/s by the bot's own count (+ sellers)", "%.0f", key("satBot"))
	row("bot: orders placed/s at saturation", "%.1f", key("orders"))
	row("  orders/s in Postgres", "%.1f", key("ordersDB"))
	row(fmt.Sprintf("bot: orders/s, %d at the summary confirm, %d at once", 4*s.customers, s.customers), "%.1f", key("burst"))
	row(fmt.Sprintf("  ratio to raw SQL (%.0f orders/s)", raw), "%.2f", func(r []figures) float64 { return medianOf(r, "burst") / raw })
	row("  Confirm latency p99, ms", "%.0f", key("burstP99"))
	row("  payments confirmed by sellers/s", "%.1f", key("paid"))
	row("  outbox backlog at the end", "%.0f", key("backlog"))
	triple("latency p50/p95/p99 ms at saturation (customer)", "satP50", "satP95", "satP99")
	triple("  same, bot's histogram", "satBotP50", "satBotP95", "satBotP99")
	row(fmt.Sprintf("offered %.0f updates/s: achieved", s.rate), "%.0f", key("fixRate"))
	triple(fmt.Sprintf("latency p50/p95/p99 ms at %.0f/s (customer)", s.rate), "fixP50", "fixP95", "fixP99")
	triple("  same, bot's histogram", "fixBotP50", "fixBotP95", "fixBotP99")
	for step := range shoppers.Step(shoppers.Steps) {
		row("  p99 ms of the "+step.String()+" step", "%.1f", key("fixP99 "+step.String()))
	}
	row("Postgres statements / update", "%.2f", key("pgStmt"))
	row("Postgres round trips / update", "%.2f", key("pgRT"))
	row("Redis commands / update", "%.2f", key("redisCmd"))
	row("Redis round trips / update", "%.2f", key("redisRT"))
	row("CPU at saturation, cores: this process", "%.2f", key("cpuSelf"))
	row("  Postgres", "%.2f", key("cpuPG"))
	row("  Redis", "%.2f", key("cpuRedis"))
	row("  the rest of the machine", "%.2f", key("cpuOther"))
	row("  stolen by the hypervisor", "%.2f", key("cpuStolen"))
	row("failed steps (saturation + fixed load)", "%.0f", func(r []figures) float64 { return medianOf(r, "failures") + medianOf(r, "fixFailures") })
	tw.Flush()
	if !math.IsNaN(raw) {
		fmt.Fprintf(w, "Raw SQL baseline: %.0f orders/s (the statements of orders.Store.Place for %d orders, %d at once, 20 connections); CPU: Postgres %.2f cores, this process %.2f.\n",
			raw, 4*s.customers, s.customers, rawCPU.postgres, rawCPU.self)
	}

	stepsRun := steps != [shoppers.Steps]Counts{}
	if stepsRun {
		fmt.Fprintf(w, "\nPer step, %d new customers together (%s), per update, with the session saved after its answer (not the sellers' notices, sent later at Telegram's pace):\n", s.steppers, modes[0])
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "step\tPG statements\tPG round trips\tRedis commands\tRedis round trips\t")
		for i, c := range steps {
			n := float64(s.steppers)
			fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t\n", shoppers.Step(i), float64(c.PGStatements)/n, float64(c.PGRoundTrips)/n,
				float64(c.RedisCommands)/n, float64(c.RedisRoundTrips)/n)
		}
		tw.Flush()
	}

	if !s.skipMemory {
		fmt.Fprintf(w, "\nMemory of the bot alone (a child process, long polling):\n")
		fmt.Fprintf(w, "  idle:                   %s\n", mem.idle)
		fmt.Fprintf(w, "  %6d live sessions:    %s (%d session keys in Redis, %d greetings failed)\n", s.sessions, mem.sessions, mem.sessionKeys, mem.greetFailures)
		fmt.Fprintf(w, "  after the run:          %s (%.0f customer updates/s over %s)\n", mem.after, mem.load.perSecond(), s.window)
		fmt.Fprintf(w, "  5 s later:              %s\n", mem.settled)
	}

	fmt.Fprintf(w, "\nTargets:\n")
	check := func(ok bool, format string, a ...any) {
		text := fmt.Sprintf(format, a...)
		mark := "met   "
		switch {
		case strings.Contains(text, "NaN"):
			mark = "n/a   "
		case !ok:
			mark = "MISSED"
		}
		fmt.Fprintf(w, "  %s  %s\n", mark, text)
	}
	for _, m := range modes {
		r := byMode[m]
		check(medianOf(r, "sat") >= 1500, "%s: ≥ 1,500 customer updates/s: %.0f", m, medianOf(r, "sat"))
		check(medianOf(r, "sat")/medianOf(r, "echo") >= 0.4, "%s: ≥ 0.4 of the echo bot: %.2f", m, medianOf(r, "sat")/medianOf(r, "echo"))
		check(medianOf(r, "orders") >= 200, "%s: ≥ 200 orders/s in the booking mix: %.1f", m, medianOf(r, "orders"))
		check(medianOf(r, "burst") >= 200, "%s: ≥ 200 orders/s, Confirm alone: %.1f", m, medianOf(r, "burst"))
		check(medianOf(r, "burst")/raw >= 0.6, "%s: ≥ 0.6 of raw SQL orders/s (Confirm alone): %.2f", m, medianOf(r, "burst")/raw)
		check(medianOf(r, "fixP99") <= 20, "%s: p99 ≤ 20 ms at %.0f updates/s: %.1f ms", m, s.rate, medianOf(r, "fixP99"))
	}
	worstPG, worstRedis := 0.0, 0.0
	for _, st := range []shoppers.Step{shoppers.Size, shoppers.Quantity, shoppers.Checkout, shoppers.Pickup, shoppers.NoNote} {
		worstPG = max(worstPG, float64(steps[st].PGRoundTrips)/float64(s.steppers))
		worstRedis = max(worstRedis, float64(steps[st].RedisRoundTrips)/float64(s.steppers))
	}
	if !stepsRun {
		worstPG, worstRedis = math.NaN(), math.NaN()
	}
	check(worstRedis <= 4, "≤ 4 Redis round trips for a non-ordering update (size … no note, the worst): %.2f", worstRedis)
	check(worstPG <= 3, "≤ 3 Postgres round trips for a non-ordering update (size … no note, the worst): %.2f", worstPG)
	if !s.skipMemory {
		check(mem.sessions.rss <= 60<<20, "RSS ≤ 60 MB with %d live sessions: %.1f MB", s.sessions, mb(mem.sessions.rss))
	}
}
