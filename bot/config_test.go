package bot

import (
	"strings"
	"testing"
	"time"
)

const testToken = "123456789:AAExampleExampleExampleExample_-x"

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(env(map[string]string{"BOT_TOKEN": testToken, "ADMIN_IDS": "11, 22"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramAPIURL != "https://api.telegram.org" || c.RedisURL != "redis://localhost:6379/0" ||
		c.DatabaseURL != "postgres://shop:shop@localhost:5432/shop?sslmode=disable" ||
		c.Currency.String() != "USD" || c.Timezone.String() != "UTC" || c.DefaultLanguage != "en" ||
		c.HTTPAddr != ":8080" || c.UnpaidOrderTTL != 24*time.Hour || c.Webhook() || c.BackupMinute != 180 {
		t.Errorf("defaults: %+v", c)
	}
	if len(c.AdminIDs) != 2 || !c.IsAdmin(11) || !c.IsAdmin(22) || c.IsAdmin(33) {
		t.Errorf("admins: %v", c.AdminIDs)
	}
}

func TestLoadConfigValues(t *testing.T) {
	c, err := LoadConfig(env(map[string]string{
		"BOT_TOKEN":        testToken,
		"ADMIN_IDS":        "5",
		"TELEGRAM_API_URL": "http://127.0.0.1:8081/",
		"CHANNEL_ID":       "@my_shop",
		"SHOP_CURRENCY":    "VND",
		"SHOP_TIMEZONE":    "Asia/Ho_Chi_Minh",
		"DEFAULT_LANGUAGE": "vi",
		"WEBHOOK_URL":      "https://shop.example.com/tg",
		"WEBHOOK_SECRET":   "s3cret_-X",
		"HTTP_ADDR":        "127.0.0.1:9000",
		"UNPAID_ORDER_TTL": "90m",
		"BACKUP_TIME":      "OFF",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramAPIURL != "http://127.0.0.1:8081" || c.ChannelID != "@my_shop" || c.Currency.String() != "VND" ||
		c.Timezone.String() != "Asia/Ho_Chi_Minh" || c.DefaultLanguage != "vi" || !c.Webhook() ||
		c.WebhookSecret != "s3cret_-X" || c.HTTPAddr != "127.0.0.1:9000" || c.UnpaidOrderTTL != 90*time.Minute || c.BackupMinute != -1 {
		t.Errorf("values: %+v", c)
	}
}

func TestLoadConfigNamesTheBadVariable(t *testing.T) {
	base := map[string]string{"BOT_TOKEN": testToken, "ADMIN_IDS": "1"}
	tests := []struct {
		name, key, value, wantVar string
	}{
		{"missing token", "BOT_TOKEN", "", "BOT_TOKEN"},
		{"malformed token", "BOT_TOKEN", "not-a-token", "BOT_TOKEN"},
		{"missing admins", "ADMIN_IDS", "", "ADMIN_IDS"},
		{"admin not a number", "ADMIN_IDS", "1,abc", "ADMIN_IDS"},
		{"admin negative", "ADMIN_IDS", "-5", "ADMIN_IDS"},
		{"api url", "TELEGRAM_API_URL", "ftp://x", "TELEGRAM_API_URL"},
		{"database url", "DATABASE_URL", "mysql://x", "DATABASE_URL"},
		{"redis url", "REDIS_URL", "http://x", "REDIS_URL"},
		{"channel", "CHANNEL_ID", "my shop", "CHANNEL_ID"},
		{"currency", "SHOP_CURRENCY", "DONG", "SHOP_CURRENCY"},
		{"timezone", "SHOP_TIMEZONE", "Mars/Olympus", "SHOP_TIMEZONE"},
		{"language", "DEFAULT_LANGUAGE", "fr", "DEFAULT_LANGUAGE"},
		{"webhook not https", "WEBHOOK_URL", "http://shop.example.com", "WEBHOOK_URL"},
		{"webhook without secret", "WEBHOOK_URL", "https://shop.example.com", "WEBHOOK_SECRET"},
		{"http addr", "HTTP_ADDR", "8080", "HTTP_ADDR"},
		{"ttl", "UNPAID_ORDER_TTL", "tomorrow", "UNPAID_ORDER_TTL"},
		{"ttl negative", "UNPAID_ORDER_TTL", "-1h", "UNPAID_ORDER_TTL"},
		{"backup time", "BACKUP_TIME", "3am", "BACKUP_TIME"},
		{"backup hour", "BACKUP_TIME", "25:00", "BACKUP_TIME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range base {
				m[k] = v
			}
			m[tt.key] = tt.value
			_, err := LoadConfig(env(m))
			if err == nil {
				t.Fatal("accepted")
			}
			if !IsConfigError(err) || !strings.HasPrefix(err.Error(), "config: "+tt.wantVar+": ") {
				t.Errorf("error %q does not name %s", err, tt.wantVar)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
		})
	}
}

func TestConfigErrorsNeverShowSecrets(t *testing.T) {
	secret := "shhh!not-allowed"
	_, err := LoadConfig(env(map[string]string{
		"BOT_TOKEN": testToken, "ADMIN_IDS": "1",
		"WEBHOOK_URL": "https://x.example", "WEBHOOK_SECRET": secret,
	}))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("error %v", err)
	}
	_, err = LoadConfig(env(map[string]string{"BOT_TOKEN": "12:short" + secret, "ADMIN_IDS": "1"}))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("error %v", err)
	}
}
