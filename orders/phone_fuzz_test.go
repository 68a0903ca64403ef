package orders_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/shopbot/shopbot/orders"
)

// tidyPhone is what ParsePhone hands on: ASCII digits, a leading + at most.
var tidyPhone = regexp.MustCompile(`^\+?[0-9]{7,15}$`)

func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{
		"0912 345 678", "+84 912-345-678", "(02) 1234 5678", "٠١٠٠١٢٣٤٥٦٧", "۰۹۱۲۳۴۵۶۷۸",
		"+84912345678", "\u200f+20 100 123 4567", "0912\u00a0345\u00a0678", "  +1 (555) 010-9999 \n",
		"123456", "1234567", "123456789012345", "1234567890123456", "+", "++84912345678",
		"84+912345678", "+٠١٠٠١٢٣٤٥٦٧", "0912.345.678", "abc", "", "０９１２３４５６７８",
		"\u202e8765432190", "+-1234567", "1 2 3 4 5 6 7", "\u0085+84912345678",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		phone, err := orders.ParsePhone(text)
		if err != nil {
			if !errors.Is(err, orders.ErrPhoneInvalid) || phone != "" {
				t.Fatalf("ParsePhone(%q) = %q, %v", text, phone, err)
			}
			return
		}
		if !tidyPhone.MatchString(phone) {
			t.Fatalf("ParsePhone(%q) = %q: not a tidy phone number", text, phone)
		}
		again, err := orders.ParsePhone(phone)
		if err != nil || again != phone {
			t.Fatalf("ParsePhone(%q) = %q, which reads back as %q, %v", text, phone, again, err)
		}
	})
}
