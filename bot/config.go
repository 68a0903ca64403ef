package bot

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/text/currency"

	"github.com/shopbot/shopbot/locale"
)

// Config is the process configuration, read from the environment as documented in the README.
type Config struct {
	BotToken        string
	TelegramAPIURL  string
	DatabaseURL     string
	RedisURL        string
	AdminIDs        []int64
	ChannelID       string
	Currency        currency.Unit
	Timezone        *time.Location
	DefaultLanguage string
	WebhookURL      string
	WebhookSecret   string
	HTTPAddr        string
	UnpaidOrderTTL  time.Duration
	// BackupMinute is when the daily backup goes to the sellers: minutes after local
	// midnight; -1 when BACKUP_TIME is off.
	BackupMinute int
}

// Webhook reports whether updates arrive by webhook rather than long polling.
func (c Config) Webhook() bool { return c.WebhookURL != "" }

// IsAdmin reports whether the Telegram user id belongs to a seller.
func (c Config) IsAdmin(id int64) bool {
	for _, a := range c.AdminIDs {
		if a == id {
			return true
		}
	}
	return false
}

var (
	tokenRe         = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,}$`)
	secretRe        = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	channelIDRe     = regexp.MustCompile(`^-[0-9]{1,20}$`)
	channelHandleRe = regexp.MustCompile(`^@[A-Za-z][A-Za-z0-9_]{3,31}$`)
)

// ConfigError names the variable that stopped start-up. Its text never holds a secret value.
type ConfigError struct {
	Var    string
	Reason string
}

func (e *ConfigError) Error() string { return "config: " + e.Var + ": " + e.Reason }

// LoadConfig reads the configuration through getenv and returns the first problem found.
func LoadConfig(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	bad := func(name, reason string) (Config, error) {
		return Config{}, &ConfigError{Var: name, Reason: reason}
	}

	var c Config

	c.BotToken = get("BOT_TOKEN", "")
	switch {
	case c.BotToken == "":
		return bad("BOT_TOKEN", "is required (the token from @BotFather)")
	case !tokenRe.MatchString(c.BotToken):
		return bad("BOT_TOKEN", "is not a bot token of the form 123456:ABC-DEF…")
	}

	c.TelegramAPIURL = strings.TrimRight(get("TELEGRAM_API_URL", "https://api.telegram.org"), "/")
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("TELEGRAM_API_URL", "must be an http(s) URL such as https://api.telegram.org")
	}

	c.DatabaseURL = get("DATABASE_URL", "postgres://shop:shop@localhost:5432/shop?sslmode=disable")
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return bad("DATABASE_URL", "must be a postgres:// URL")
	}

	c.RedisURL = get("REDIS_URL", "redis://localhost:6379/0")
	if _, err := redis.ParseURL(c.RedisURL); err != nil {
		return bad("REDIS_URL", "must be a redis:// or rediss:// URL")
	}

	admins := get("ADMIN_IDS", "")
	if admins == "" {
		return bad("ADMIN_IDS", "is required: comma-separated Telegram user ids of the sellers")
	}
	for _, f := range strings.Split(admins, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			return bad("ADMIN_IDS", fmt.Sprintf("%q is not a Telegram user id (a positive number)", f))
		}
		c.AdminIDs = append(c.AdminIDs, id)
	}
	if len(c.AdminIDs) == 0 {
		return bad("ADMIN_IDS", "is required: comma-separated Telegram user ids of the sellers")
	}

	c.ChannelID = get("CHANNEL_ID", "")
	if c.ChannelID != "" && !channelIDRe.MatchString(c.ChannelID) && !channelHandleRe.MatchString(c.ChannelID) {
		return bad("CHANNEL_ID", fmt.Sprintf("%q is neither a channel id like -1001234567890 nor a @username", c.ChannelID))
	}

	cur := get("SHOP_CURRENCY", "USD")
	unit, err := currency.ParseISO(cur)
	if err != nil || len(cur) != 3 {
		return bad("SHOP_CURRENCY", fmt.Sprintf("%q is not an ISO 4217 currency code such as VND, EGP or USD", cur))
	}
	c.Currency = unit

	tz := get("SHOP_TIMEZONE", "UTC")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return bad("SHOP_TIMEZONE", fmt.Sprintf("%q is not an IANA time zone such as Asia/Ho_Chi_Minh", tz))
	}
	c.Timezone = loc

	c.DefaultLanguage = get("DEFAULT_LANGUAGE", "en")
	if !locale.Supported(c.DefaultLanguage) {
		return bad("DEFAULT_LANGUAGE", fmt.Sprintf("%q is not one of %s", c.DefaultLanguage, strings.Join(locale.Languages, ", ")))
	}

	c.WebhookURL = get("WEBHOOK_URL", "")
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return bad("WEBHOOK_URL", "must be a public https:// URL")
		}
		c.WebhookSecret = get("WEBHOOK_SECRET", "")
		switch {
		case c.WebhookSecret == "":
			return bad("WEBHOOK_SECRET", "is required when WEBHOOK_URL is set")
		case !secretRe.MatchString(c.WebhookSecret):
			return bad("WEBHOOK_SECRET", "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
		}
	}

	c.HTTPAddr = get("HTTP_ADDR", ":8080")
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		return bad("HTTP_ADDR", fmt.Sprintf("%q is not a listen address such as :8080", c.HTTPAddr))
	}

	ttl := get("UNPAID_ORDER_TTL", "24h")
	c.UnpaidOrderTTL, err = time.ParseDuration(ttl)
	if err != nil || c.UnpaidOrderTTL <= 0 {
		return bad("UNPAID_ORDER_TTL", fmt.Sprintf("%q is not a positive duration such as 24h or 90m", ttl))
	}

	backup := get("BACKUP_TIME", "03:00")
	if strings.EqualFold(backup, "off") {
		c.BackupMinute = -1
	} else {
		at, err := time.Parse("15:04", backup)
		if err != nil {
			return bad("BACKUP_TIME", fmt.Sprintf("%q is not a time of day such as 03:00, or off", backup))
		}
		c.BackupMinute = at.Hour()*60 + at.Minute()
	}

	return c, nil
}

// IsConfigError reports whether err came from LoadConfig.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}
