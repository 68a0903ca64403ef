package orders_test

import (
	"errors"
	"testing"

	"github.com/shopbot/shopbot/orders"
)

func TestParsePhone(t *testing.T) {
	tests := []struct{ text, want string }{
		{"0912 345 678", "0912345678"},
		{"+84 912-345-678", "+84912345678"},
		{"(02) 1234 5678", "0212345678"},
		{"٠١٠٠١٢٣٤٥٦٧", "01001234567"},              // Arabic-Indic digits
		{"۰۹۱۲۳۴۵۶۷۸۹", "09123456789"},              // Persian digits
		{"\u200e+20 100 123 4567", "+201001234567"}, // a direction mark pasted with it
		{" 0912.345.678 ", "0912345678"},
	}
	for _, tt := range tests {
		if got, err := orders.ParsePhone(tt.text); err != nil || got != tt.want {
			t.Errorf("ParsePhone(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
	for _, text := range []string{"", "123456", "1234567890123456", "call me", "09+12345678", "0912 345 678 ext 2", "+"} {
		if got, err := orders.ParsePhone(text); !errors.Is(err, orders.ErrPhoneInvalid) {
			t.Errorf("ParsePhone(%q) = %q, %v; want ErrPhoneInvalid", text, got, err)
		}
	}
}
