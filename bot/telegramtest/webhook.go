package telegramtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// Webhook retry delays: Telegram doubles up to a minute or two; tests cannot
// wait that long, so the fake starts at 50 ms and stops doubling at 2 s.
const (
	webhookFirstRetry = 50 * time.Millisecond
	webhookMaxRetry   = 2 * time.Second
)

var secretTokenRx = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// WebhookAttempt is one try at delivering an update to the webhook.
type WebhookAttempt struct {
	UpdateID int
	Status   int    // HTTP status the webhook answered; 0 if none
	Err      string // the connection error, when there was no answer
	At       time.Time
}

type webhookState struct {
	url     string
	secret  string
	maxConn int
	ctx     context.Context
	cancel  context.CancelFunc
}

// newWebhookClient trusts any certificate: tests serve their webhook with
// httptest.NewTLSServer and its self-signed certificate.
func newWebhookClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // test servers only
	// As Telegram, which keeps its connections (up to max_connections) open.
	tr.MaxIdleConnsPerHost = 100
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// WebhookAttempts lists every delivery attempt, in the order they ended.
func (s *Server) WebhookAttempts() []WebhookAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WebhookAttempt(nil), s.hookAttempts...)
}

// removeWebhookLocked stops pushing; in-flight deliveries are cancelled and
// their updates stay queued unless drop is set.
func (s *Server) removeWebhookLocked(drop bool) {
	if s.hook != nil {
		s.hook.cancel()
		s.hook = nil
	}
	if drop {
		s.queue = nil
	}
	s.notifyLocked()
}

func (s *Server) setWebhook(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw := req.str("url")
	if raw == "" {
		s.removeWebhookLocked(req.bool("drop_pending_updates"))
		return true, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	secret := req.str("secret_token")
	if len(secret) > 256 {
		return nil, badRequest("secret token is too long")
	}
	if secret != "" && !secretTokenRx.MatchString(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	maxConn, apiErr := req.int("max_connections", 40)
	if apiErr != nil {
		return nil, apiErr
	}
	// Telegram clamps max_connections into 1–100 rather than refusing.
	maxConn = min(max(maxConn, 1), 100)
	if err := s.setAllowedLocked(req); err != nil {
		return nil, err
	}
	s.removeWebhookLocked(req.bool("drop_pending_updates"))
	ctx, cancel := context.WithCancel(context.Background())
	s.hook = &webhookState{url: raw, secret: secret, maxConn: maxConn, ctx: ctx, cancel: cancel}
	s.hookLastError, s.hookErrorDate = "", 0
	return true, nil
}

func (s *Server) deleteWebhook(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeWebhookLocked(req.bool("drop_pending_updates"))
	return true, nil
}

func (s *Server) getWebhookInfo(_ context.Context, _ *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := wireWebhookInfo{PendingUpdateCount: len(s.queue)}
	if h := s.hook; h != nil {
		info.URL = h.url
		info.MaxConnections = h.maxConn
		info.LastErrorDate = s.hookErrorDate
		info.LastErrorMessage = s.hookLastError
		for k, on := range s.allowed {
			if on {
				info.AllowedUpdates = append(info.AllowedUpdates, k)
			}
		}
	}
	return info, nil
}

// dispatchWebhook runs for the server's life, pushing queued updates while a
// webhook is set: at most max_connections at once, one at a time per chat
// (or per user for button presses), retrying failures with growing delays.
func (s *Server) dispatchWebhook() {
	defer s.wg.Done()
	s.mu.Lock()
	for {
		if s.closed {
			s.mu.Unlock()
			return
		}
		var wake time.Time
		if h := s.hook; h != nil {
			s.dropUnwantedLocked()
			now := time.Now()
			busy := map[string]bool{}
			for _, u := range s.queue {
				if busy[u.key] {
					continue
				}
				busy[u.key] = true
				if u.inFlight {
					continue
				}
				if u.retryAt.After(now) {
					if wake.IsZero() || u.retryAt.Before(wake) {
						wake = u.retryAt
					}
					continue
				}
				if s.hookInFlight >= h.maxConn {
					break
				}
				u.inFlight = true
				s.hookInFlight++
				s.wg.Add(1)
				go s.deliver(h, u)
			}
		}
		changed := s.changed
		s.mu.Unlock()
		var timer *time.Timer
		var fire <-chan time.Time
		if !wake.IsZero() {
			timer = time.NewTimer(time.Until(wake))
			fire = timer.C
		}
		select {
		case <-changed:
		case <-fire:
		case <-s.done:
		}
		if timer != nil {
			timer.Stop()
		}
		s.mu.Lock()
	}
}

func (s *Server) deliver(h *webhookState, u *queuedUpdate) {
	defer s.wg.Done()
	status, errText, reply := s.post(h, u.raw)
	if status >= 200 && status < 300 && reply != nil {
		s.callFromReply(h.ctx, reply)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	s.hookInFlight--
	u.inFlight = false
	if h.ctx.Err() != nil {
		// The webhook was replaced or removed meanwhile: not a real attempt.
		return
	}
	now := time.Now()
	s.hookAttempts = append(s.hookAttempts, WebhookAttempt{UpdateID: u.id, Status: status, Err: errText, At: now})
	if status >= 200 && status < 300 {
		for i, q := range s.queue {
			if q == u {
				s.queue = append(s.queue[:i], s.queue[i+1:]...)
				break
			}
		}
		return
	}
	u.failures++
	delay := webhookFirstRetry << min(u.failures-1, 10)
	u.retryAt = now.Add(min(delay, webhookMaxRetry))
	s.hookErrorDate = now.Unix()
	if status != 0 {
		s.hookLastError = "Wrong response from the webhook: " + strconv.Itoa(status) + " " + http.StatusText(status)
	} else {
		s.hookLastError = errText
	}
}

// post delivers an update to the webhook: the status it answered (0 if none), what went
// wrong, and the Bot API call a 2xx answer carries, if any.
func (s *Server) post(h *webhookState, body []byte) (int, string, *request) {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error(), nil
	}
	req.Header.Set("Content-Type", "application/json")
	if h.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.secret)
	}
	resp, err := s.hookClient.Do(req)
	if err != nil {
		return 0, err.Error(), nil
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, "", nil
	}
	// The answer's body is read as a request's: JSON, a form or multipart.
	call, apiErr := readRequest(&http.Request{Method: http.MethodPost, URL: &url.URL{}, Header: resp.Header, Body: resp.Body}, "")
	if apiErr != nil || call.str("method") == "" {
		return resp.StatusCode, "", nil // no call: Telegram takes the answer as a plain "done"
	}
	return resp.StatusCode, "", call
}

// callFromReply makes the Bot API call a webhook's answer carries, as Telegram does: its
// result goes nowhere, and a refusal (a failure armed with FailNext too) shows only in
// Errors. The faults of a connection (drop, lost answer, hold, latency) have none to act on.
func (s *Server) callFromReply(ctx context.Context, req *request) {
	method, h := s.lookupMethod(req.str("method"))
	delete(req.params, "method")
	req.method = method
	if h == nil {
		s.record(method, req, errNotFound, false)
		return
	}
	s.mu.Lock()
	s.calls[method]++
	s.replyCalls[method]++
	s.mu.Unlock()
	if f := s.takeFault(faultFail, method); f != nil {
		s.record(method, req, injectedError(f), true)
		return
	}
	if _, apiErr := h(ctx, req); apiErr != nil && apiErr != errClientGone {
		s.record(method, req, apiErr, false)
	}
}
