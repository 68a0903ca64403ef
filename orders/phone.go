package orders

import (
	"errors"
	"strings"
	"unicode"
)

// ErrPhoneInvalid is returned for text that is not a phone number.
var ErrPhoneInvalid = errors.New("orders: not a phone number")

// ParsePhone checks a typed phone number loosely, for local and international formats
// ("0912 345 678", "+84 912-345-678", "(02) 1234 5678", "٠١٠٠١٢٣٤٥٦٧"), and returns it
// tidied: ASCII digits with a leading + kept, separators dropped.
func ParsePhone(text string) (string, error) {
	text = strings.TrimSpace(text)
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == '+' && b.Len() == 0: // first, after separators or a direction mark at most
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '٠' && r <= '٩':
			b.WriteRune('0' + (r - '٠'))
		case r >= '۰' && r <= '۹':
			b.WriteRune('0' + (r - '۰'))
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0' || unicode.Is(unicode.Bidi_Control, r):
		default:
			return "", ErrPhoneInvalid
		}
	}
	phone := b.String()
	digits := len(strings.TrimPrefix(phone, "+"))
	if digits < 7 || digits > 15 {
		return "", ErrPhoneInvalid
	}
	return phone, nil
}
