package bot

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the process's Prometheus metrics, on a registry of its own.
type metrics struct {
	registry *prometheus.Registry
	updates  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	apiCalls *prometheus.CounterVec
	outbox   *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopbot_updates_total",
			Help: "Telegram updates handled, by type.",
		}, []string{"type"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shopbot_handler_duration_seconds",
			Help:    "Time to handle one update, by type.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"type"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopbot_errors_total",
			Help: "Errors, by kind: handler, unavailable (Postgres/Redis out of reach), panic, poll, webhook.",
		}, []string{"kind"}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopbot_telegram_api_calls_total",
			Help: "Calls to the Telegram Bot API, by method and result (ok, an HTTP status code, error, or webhook_reply: made in a webhook's answer, its result unknown).",
		}, []string{"method", "result"}),
		outbox: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopbot_outbox_deliveries_total",
			Help: "Outbox delivery attempts, by message kind and outcome (sent, retry, failed, blocked; merged: new orders' notices sent as one message).",
		}, []string{"kind", "outcome"}),
	}
	m.registry.MustRegister(m.updates, m.latency, m.errors, m.apiCalls, m.outbox,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// apiTransport counts Bot API calls by method and result, and repeats a call that
// Telegram answered 429 once the retry_after it names has passed, as long as the call's
// context allows and its body can be sent again.
type apiTransport struct {
	base http.RoundTripper
	m    *metrics
}

// maxFloodWait is the longest retry_after worth waiting for inside one call; past it the
// caller gets the error.
const maxFloodWait = 10 * time.Second

func (t apiTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	method := apiMethod(r.URL.Path)
	for attempt := 1; ; attempt++ {
		resp, err := t.base.RoundTrip(r)
		result := "error"
		switch {
		case err != nil:
		case resp.StatusCode == http.StatusOK:
			result = "ok"
		default:
			result = strconv.Itoa(resp.StatusCode)
		}
		t.m.apiCalls.WithLabelValues(method, result).Inc()
		if err != nil || resp.StatusCode != http.StatusTooManyRequests || r.GetBody == nil || attempt == 3 {
			return resp, err
		}
		wait, ok := floodWait(resp)
		if !ok || wait > maxFloodWait {
			return resp, nil
		}
		body, err := r.GetBody()
		if err != nil {
			return resp, nil
		}
		resp.Body.Close()
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(wait):
		}
		r = r.Clone(r.Context())
		r.Body = body
	}
}

// floodWait reads retry_after from a 429 answer, leaving the body readable.
func floodWait(resp *http.Response) (time.Duration, bool) {
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return 0, false
	}
	var answer struct {
		Parameters struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if json.Unmarshal(data, &answer) != nil || answer.Parameters.RetryAfter <= 0 {
		return 0, false
	}
	return time.Duration(answer.Parameters.RetryAfter) * time.Second, true
}

// apiMethod names the Bot API method of a request path without the token in it:
// /bot<token>/sendMessage → sendMessage, /file/bot<token>/… → file.
func apiMethod(path string) string {
	if strings.HasPrefix(path, "/file/") || strings.Contains(path, "/file/bot") {
		return "file"
	}
	if i := strings.LastIndexByte(path, '/'); i >= 0 && i < len(path)-1 {
		name := path[i+1:]
		if len(name) <= 64 && !strings.Contains(name, ":") {
			return name
		}
	}
	return "unknown"
}
