// Package money formats amounts kept as int64 minor units of an ISO 4217 currency.
// It is the one place where an amount becomes text; parsing what sellers type lives in
// catalog.ParsePrice.
package money

import (
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// nbsp joins a currency sign or code to its number so Telegram never wraps between them.
const nbsp = "\u00a0"

// Scale returns the number of minor-unit digits of the currency code cur: VND 0, JPY 0,
// USD 2, EGP 2, KWD 3. It follows CLDR (through golang.org/x/text/currency), which also
// gives 0 where the ISO minor unit is not used in practice (IDR, COP, IQD). Unknown codes
// get 2, the most common scale.
func Scale(cur string) int {
	u, err := currency.ParseISO(strings.TrimSpace(cur))
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale
}

// Format renders minor units of cur the way a customer of that shop expects to read it:
// "150.000 ₫", "$12.50", "€12.50", "£12.50", "¥1,235", and for every other currency the
// code, a space and the number with the currency's decimals: "EGP 1,250.00", "KWD 1,234.567".
// The space is a NO-BREAK SPACE (U+00A0). Negative amounts get a leading "-".
func Format(minor int64, cur string) string {
	code := strings.ToUpper(strings.TrimSpace(cur))
	scale := Scale(code)

	// Negating in uint64 keeps math.MinInt64 exact.
	abs := uint64(minor)
	if minor < 0 {
		abs = -abs
	}
	pow := uint64(1)
	for range scale {
		pow *= 10
	}

	// Vietnamese write 150.000; VND has no decimals, so the dot cannot be misread.
	sep := byte(',')
	if code == "VND" {
		sep = '.'
	}
	num := groupThousands(strconv.FormatUint(abs/pow, 10), sep)
	if scale > 0 {
		frac := strconv.FormatUint(abs%pow, 10)
		num += "." + strings.Repeat("0", scale-len(frac)) + frac
	}

	var out string
	switch code {
	case "VND":
		out = num + nbsp + "₫"
	case "USD":
		out = "$" + num
	case "EUR":
		out = "€" + num
	case "GBP":
		out = "£" + num
	case "JPY":
		out = "¥" + num
	case "":
		out = num
	default:
		out = code + nbsp + num
	}
	if minor < 0 {
		return "-" + out
	}
	return out
}

// groupThousands inserts sep between groups of three digits, counted from the right.
func groupThousands(digits string, sep byte) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	b.Grow(len(digits) + len(digits)/3)
	head := len(digits) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(digits[:head])
	for i := head; i < len(digits); i += 3 {
		b.WriteByte(sep)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
