package telegramtest

import (
	"math"
	"time"

	"golang.org/x/time/rate"
)

// Limits are the sending rates the fake enforces, each a token bucket: Rate
// tokens per second refill up to Burst. A Rate of zero or less disables that
// bucket. Plain numbers so a test can set anything, such as a channel limit
// ten times faster than Telegram's to keep the test short.
type Limits struct {
	// Sends to one private chat.
	PrivateRate  float64
	PrivateBurst int
	// Sends to one group, supergroup or channel.
	GroupRate  float64
	GroupBurst int
	// Edits in one group, supergroup or channel, counted apart from sends.
	GroupEditRate  float64
	GroupEditBurst int
	// Sends over all chats together.
	GlobalRate  float64
	GlobalBurst int
}

// DefaultLimits matches Telegram: about one message a second per private chat
// with a short burst, 20 a minute per group or channel (and as many edits),
// 30 a second over all chats.
func DefaultLimits() Limits {
	return Limits{
		PrivateRate:    1,
		PrivateBurst:   3,
		GroupRate:      20.0 / 60,
		GroupBurst:     20,
		GroupEditRate:  20.0 / 60,
		GroupEditBurst: 20,
		GlobalRate:     30,
		GlobalBurst:    30,
	}
}

// Scaled returns the limits with every rate multiplied by factor and bursts
// unchanged, so a minute-long window passes in a fraction of the time.
func (l Limits) Scaled(factor float64) Limits {
	l.PrivateRate *= factor
	l.GroupRate *= factor
	l.GroupEditRate *= factor
	l.GlobalRate *= factor
	return l
}

// Unlimited returns limits that never refuse, for tests about something else.
func Unlimited() Limits { return Limits{} }

func newBucket(perSecond float64, burst int) *rate.Limiter {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	return rate.NewLimiter(rate.Limit(perSecond), burst)
}

// takeToken takes one token from every bucket or from none. A nil bucket is
// unlimited. When one is empty it returns how long until all have a token.
// The caller holds the server lock, so the check and the take are atomic.
func takeToken(now time.Time, buckets ...*rate.Limiter) (wait time.Duration, ok bool) {
	for _, b := range buckets {
		if b == nil {
			continue
		}
		if tokens := b.TokensAt(now); tokens < 1 {
			d := time.Duration((1 - tokens) / float64(b.Limit()) * float64(time.Second))
			wait = max(wait, d)
		}
	}
	if wait > 0 {
		return wait, false
	}
	for _, b := range buckets {
		if b != nil {
			b.AllowN(now, 1)
		}
	}
	return 0, true
}

// retryAfter rounds a wait up to whole seconds, as Telegram's retry_after is.
func retryAfter(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

// sendBucket is the per-chat bucket for sends; created on first use.
func (s *Server) sendBucketLocked(c *Chat) *rate.Limiter {
	if c.sendBucket == nil {
		if c.Type == ChatPrivate {
			c.sendBucket = newBucket(s.limits.PrivateRate, s.limits.PrivateBurst)
		} else {
			c.sendBucket = newBucket(s.limits.GroupRate, s.limits.GroupBurst)
		}
	}
	return c.sendBucket
}

// takeSendLocked charges one send to chat c and to the global bucket.
func (s *Server) takeSendLocked(c *Chat) *apiError {
	wait, ok := takeToken(time.Now(), s.sendBucketLocked(c), s.globalBucket)
	if ok {
		return nil
	}
	return tooManyRequests(retryAfter(wait))
}

// takeEditLocked charges an edit; only groups and channels limit edits.
func (s *Server) takeEditLocked(c *Chat) *apiError {
	if c.Type == ChatPrivate {
		return nil
	}
	if c.editBucket == nil {
		c.editBucket = newBucket(s.limits.GroupEditRate, s.limits.GroupEditBurst)
	}
	wait, ok := takeToken(time.Now(), c.editBucket)
	if ok {
		return nil
	}
	return tooManyRequests(retryAfter(wait))
}
