package telegramtest

import (
	"context"
	"encoding/json"
	"time"
)

// queuedUpdate is an update not yet confirmed by getUpdates or delivered by webhook.
type queuedUpdate struct {
	id   int
	kind string
	// key orders webhook deliveries: one chat's messages, or one user's
	// button presses, go out one at a time and in order.
	key string
	raw json.RawMessage

	inFlight bool
	failures int
	retryAt  time.Time
}

// defaultAllowed is what Telegram sends when allowed_updates is empty or unset.
func defaultAllowed(kind string) bool {
	switch kind {
	case "chat_member", "message_reaction", "message_reaction_count":
		return false
	}
	return true
}

func (s *Server) allowedLocked(kind string) bool {
	if s.allowed == nil {
		return defaultAllowed(kind)
	}
	return s.allowed[kind]
}

// setAllowedLocked applies an allowed_updates parameter: absent keeps the
// previous choice, an empty list restores the default.
func (s *Server) setAllowedLocked(req *request) *apiError {
	if !req.has("allowed_updates") {
		return nil
	}
	var kinds []string
	set, err := req.json("allowed_updates", &kinds)
	if err != nil {
		return err
	}
	if !set {
		return nil
	}
	if len(kinds) == 0 {
		s.allowed = nil
		return nil
	}
	s.allowed = map[string]bool{}
	for _, k := range kinds {
		s.allowed[k] = true
	}
	return nil
}

// enqueueLocked queues an update built from payload and returns its id.
func (s *Server) enqueueLocked(kind, key string, payload any) int {
	id := s.nextUpdateID
	s.nextUpdateID++
	body, err := json.Marshal(payload)
	if err != nil {
		panic("telegramtest: encode update: " + err.Error())
	}
	raw, _ := json.Marshal(map[string]json.RawMessage{
		"update_id": json.RawMessage(itoa(id)),
		kind:        body,
	})
	s.queue = append(s.queue, &queuedUpdate{id: id, kind: kind, key: key, raw: raw})
	if s.redeliver {
		s.queue = append(s.queue, &queuedUpdate{id: id, kind: kind, key: key, raw: raw})
	}
	s.notifyLocked()
	return id
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// PendingUpdates counts updates neither confirmed nor delivered yet.
func (s *Server) PendingUpdates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// dropUnwantedLocked forgets queued updates of kinds the bot does not want:
// Telegram does not keep them either.
func (s *Server) dropUnwantedLocked() {
	kept := s.queue[:0]
	for _, u := range s.queue {
		if u.inFlight || s.allowedLocked(u.kind) {
			kept = append(kept, u)
		}
	}
	clear(s.queue[len(kept):])
	s.queue = kept
}

func (s *Server) getUpdates(ctx context.Context, req *request) (any, *apiError) {
	offset, err := req.int("offset", 0)
	if err != nil {
		return nil, err
	}
	limit, err := req.int("limit", 100)
	if err != nil {
		return nil, err
	}
	limit = min(max(limit, 1), 100)
	timeout, err := req.int("timeout", 0)
	if err != nil {
		return nil, err
	}
	timeout = min(max(timeout, 0), 50)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hook != nil {
		return nil, errWebhookActive
	}
	if err := s.setAllowedLocked(req); err != nil {
		return nil, err
	}
	// A newer call ends any older one still waiting.
	s.pollGen++
	gen := s.pollGen
	s.notifyLocked()

	switch {
	case offset > 0:
		kept := s.queue[:0]
		for _, u := range s.queue {
			if u.id >= offset {
				kept = append(kept, u)
			}
		}
		clear(s.queue[len(kept):])
		s.queue = kept
	case offset < 0:
		// -N confirms everything but the last N updates.
		if n := -offset; n < len(s.queue) {
			s.queue = append(s.queue[:0], s.queue[len(s.queue)-n:]...)
		}
	}

	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		if s.closed {
			return []json.RawMessage{}, nil
		}
		if gen != s.pollGen {
			return nil, errPollConflict
		}
		if s.hook != nil {
			return nil, errWebhookActive
		}
		s.dropUnwantedLocked()
		if len(s.queue) > 0 || timeout == 0 {
			out := []json.RawMessage{}
			for _, u := range s.queue {
				if len(out) == limit {
					break
				}
				out = append(out, u.raw)
			}
			return out, nil
		}
		changed := s.changed
		s.mu.Unlock()
		expired := false
		select {
		case <-changed:
		case <-deadline.C:
			expired = true
		case <-ctx.Done():
			s.mu.Lock()
			return nil, errClientGone
		}
		s.mu.Lock()
		if expired && len(s.queue) == 0 {
			return []json.RawMessage{}, nil
		}
	}
}
