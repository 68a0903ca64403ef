package catalog

// Parsers of what sellers and customers type: prices, variants with stock, quantities, and
// the deep-link payload naming an item. Sellers type in Vietnamese, Arabic or English, with
// ASCII, Arabic-Indic or Persian digits, so every parser normalizes digits first.
//
// Helpers are kept inside the functions on purpose: other files of this package are
// written in parallel, and local names cannot clash with theirs.

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/currency"
	"golang.org/x/text/unicode/norm"

	"github.com/shopbot/shopbot/money"
)

// Errors of the parsers, which the handlers turn into replies in the user's language.
var (
	ErrPriceInvalid   = errors.New("catalog: price not understood")
	ErrPriceAmbiguous = errors.New("catalog: price separator is ambiguous")
	ErrPricePrecision = errors.New("catalog: price has more decimals than the currency")
	ErrPriceCurrency  = errors.New("catalog: price is in another currency")
	ErrPriceNegative  = errors.New("catalog: price is negative")
	ErrPriceZero      = errors.New("catalog: price is zero")
	ErrPriceTooLarge  = errors.New("catalog: price is too large")

	ErrVariantsEmpty    = errors.New("catalog: no variants")
	ErrVariantsInvalid  = errors.New("catalog: variants not understood")
	ErrVariantDuplicate = errors.New("catalog: variant named twice")
	ErrVariantStock     = errors.New("catalog: variant stock out of range")
	ErrVariantName      = errors.New("catalog: variant name too long")
	ErrVariantsTooMany  = errors.New("catalog: too many variants")

	ErrQuantityInvalid = errors.New("catalog: quantity not understood")
	ErrQuantityRange   = errors.New("catalog: quantity out of range")

	ErrPayloadInvalid = errors.New("catalog: invalid item payload")
)

// NormalizeDigits maps Arabic-Indic (٠-٩) and Extended Arabic-Indic/Persian (۰-۹) digits to
// ASCII, the Arabic decimal separator ٫ to "." and the Arabic thousands separator ٬ to ",".
// Everything else is left as it is.
func NormalizeDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + r - '٠'
		case r >= '۰' && r <= '۹':
			return '0' + r - '۰'
		case r == '٫':
			return '.'
		case r == '٬':
			return ','
		}
		return r
	}, s)
}

// ParsePrice reads a price typed by a seller and returns it in minor units of cur (see
// money.Scale). It accepts a currency sign or code before or after the number when it is
// cur's ("$12.50", "EGP 250", "250 جنيه", "150.000đ"), a multiplier after it (k, nghìn,
// ngàn, ألف = 1e3; m, tr, triệu, مليون = 1e6: "150k", "1,5m", "2 triệu"), and digits
// grouped by ".", ",", spaces or ٬ with ".", "," or ٫ as the decimal separator.
//
// A lone "." or "," followed by exactly three digits is a thousands separator for a
// currency without minor units ("150.000" VND) and ErrPriceAmbiguous otherwise ("1.500"
// USD could be 1.5 or 1500), unless the digits before it cannot be a thousands group
// ("0.500", "1500.000": decimals). Followed by other counts of digits it is the decimal
// separator. Repeated, it groups thousands; with both kinds, the last one is the decimal
// separator. The Arabic ٫ and ٬ are never ambiguous.
func ParsePrice(text, cur string) (int64, error) {
	// The largest price accepted, far below int64 overflow so sums of order lines stay safe.
	const maxMinor = 1_000_000_000_000_000

	cur = strings.ToUpper(strings.TrimSpace(cur))
	scale := money.Scale(cur)

	// Digits become ASCII, but ٫ and ٬ are kept: unlike "." and "," they say for sure
	// which one is the decimal separator.
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + r - '٠'
		case r >= '۰' && r <= '۹':
			return '0' + r - '۰'
		case r == '−': // minus sign, as typed by some keyboards
			return '-'
		case unicode.IsSpace(r):
			return ' '
		case unicode.Is(unicode.Bidi_Control, r) || r == '\ufeff':
			// Invisible marks that RTL chats paste around numbers.
			return -1
		}
		return r
	}, norm.NFC.String(text))
	s = strings.Join(strings.Fields(strings.ToLower(s)), " ")

	// currencies names the currencies a sign or word may stand for; nil if it is neither.
	currencies := func(tok string) []string {
		switch tok {
		case "₫", "đ", "đồng", "dong", "vnđ":
			return []string{"VND"}
		case "$":
			return []string{"USD", "AUD", "CAD", "HKD", "NZD", "SGD"}
		case "us$":
			return []string{"USD"}
		case "€":
			return []string{"EUR"}
		case "£": // Egyptians write £ for their pound as well.
			return []string{"GBP", "EGP"}
		case "e£", "le", "l.e", "l.e.", "ج.م", "ج.م.", "جنيه", "جنية", "جنيها", "جنيهات":
			return []string{"EGP"}
		case "¥":
			return []string{"JPY", "CNY"}
		}
		if len(tok) == 3 {
			if u, err := currency.ParseISO(tok); err == nil {
				return []string{u.String()}
			}
		}
		return nil
	}
	// multiplier returns the power of ten a word after the number stands for.
	multiplier := func(tok string) (int, bool) {
		switch tok {
		case "k", "nghìn", "nghin", "ngàn", "ngan", "ألف", "الف":
			return 3, true
		case "m", "tr", "triệu", "trieu", "مليون":
			return 6, true
		}
		return 0, false
	}
	// A word is a run of anything but digits, spaces and signs: "$", "egp", "l.e.", "kđ".
	inWord := func(r rune) bool {
		return (r < '0' || r > '9') && r != ' ' && r != '-' && r != '٫' && r != '٬'
	}
	negative := false
	cutSign := func() {
		if rest, ok := strings.CutPrefix(s, "-"); ok {
			negative = true
			s = strings.TrimSpace(rest)
		}
	}

	cutSign()
	if i := strings.IndexFunc(s, func(r rune) bool { return !inWord(r) }); i != 0 {
		if i < 0 {
			i = len(s)
		}
		codes := currencies(s[:i])
		if codes == nil {
			return 0, ErrPriceInvalid
		}
		if !slices.Contains(codes, cur) {
			return 0, ErrPriceCurrency
		}
		s = strings.TrimSpace(s[i:])
		cutSign()
	}

	cutWord := func() string {
		i := strings.LastIndexFunc(s, func(r rune) bool { return !inWord(r) })
		if i >= 0 {
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
		} else {
			i = 0
		}
		w := s[i:]
		s = strings.TrimSpace(s[:i])
		return w
	}
	exp := 0 // from the multiplier
	if w := cutWord(); w != "" {
		// Up to a multiplier and a currency, in this order: "2 triệu đồng", "150kđ".
		if codes := currencies(w); codes != nil {
			if !slices.Contains(codes, cur) {
				return 0, ErrPriceCurrency
			}
			w = cutWord()
		} else {
			for i := range w {
				if _, ok := multiplier(w[:i]); !ok {
					continue
				}
				if codes := currencies(w[i:]); codes != nil {
					if !slices.Contains(codes, cur) {
						return 0, ErrPriceCurrency
					}
					w = w[:i]
					break
				}
			}
		}
		if w != "" {
			e, ok := multiplier(w)
			if !ok {
				return 0, ErrPriceInvalid
			}
			exp = e
		}
	}

	// Split the number into digit groups and the separators between them.
	var groups []string
	var seps []rune
	start := 0
	for i, r := range s {
		if r >= '0' && r <= '9' {
			continue
		}
		if !strings.ContainsRune("., ٫٬", r) || i == start {
			return 0, ErrPriceInvalid // a letter, or two separators in a row
		}
		groups = append(groups, s[start:i])
		seps = append(seps, r)
		start = i + utf8.RuneLen(r)
	}
	if start >= len(s) {
		return 0, ErrPriceInvalid // empty, or ends with a separator
	}
	groups = append(groups, s[start:])

	// Find the decimal separator, if any: its index in seps, or -1.
	dec := -1
	last := len(seps) - 1
	count := func(sep rune) (n, at int) {
		at = -1
		for i, r := range seps {
			if r == sep {
				n, at = n+1, i
			}
		}
		return n, at
	}
	nArabic, atArabic := count('٫')
	nDot, atDot := count('.')
	nComma, atComma := count(',')
	switch {
	case nArabic > 0:
		if nArabic > 1 || atArabic != last || nDot+nComma > 0 {
			return 0, ErrPriceInvalid
		}
		dec = atArabic
	case nDot > 0 && nComma > 0:
		n, at := nDot, atDot
		if atComma > atDot {
			n, at = nComma, atComma
		}
		if n > 1 || at != last {
			return 0, ErrPriceInvalid
		}
		dec = at
	case nDot+nComma == 1:
		at := max(atDot, atComma)
		switch {
		case at != last:
			// Followed by more groups, so it groups thousands.
		case len(groups[at+1]) != 3:
			dec = at
		case len(groups[0]) > 3 || groups[0][0] == '0':
			dec = at // "0.500", "1500.000": no thousands group starts like that
		case scale > 0:
			return 0, ErrPriceAmbiguous
		}
	}

	// Every other separator groups thousands: 1 to 3 digits without a leading zero, then
	// groups of exactly 3.
	intGroups := groups
	frac := ""
	if dec >= 0 {
		intGroups, frac = groups[:dec+1], groups[dec+1]
	}
	if len(intGroups) > 1 {
		if len(intGroups[0]) > 3 || intGroups[0][0] == '0' {
			return 0, ErrPriceInvalid
		}
		for _, g := range intGroups[1:] {
			if len(g) != 3 {
				return 0, ErrPriceInvalid
			}
		}
	}
	exp += scale
	if len(frac) > exp {
		return 0, ErrPricePrecision
	}
	if negative {
		return 0, ErrPriceNegative
	}

	// Accumulate digit by digit, stopping before anything could overflow.
	digits := strings.Join(intGroups, "") + frac + strings.Repeat("0", exp-len(frac))
	var v int64
	for i := 0; i < len(digits); i++ {
		v = v*10 + int64(digits[i]-'0')
		if v > maxMinor {
			return 0, ErrPriceTooLarge
		}
	}
	if v == 0 {
		return 0, ErrPriceZero
	}
	return v, nil
}

// VariantSpec is a variant as the seller typed it. An empty Name means the item has a
// single variant (one size, or a pre-order); Unlimited means stock is not counted.
type VariantSpec struct {
	Name      string
	Stock     int
	Unlimited bool
}

// ParseVariants reads a seller's list of variants with their stock: "S:3, M:5, L:0",
// "Red:2 Blue:4", "S: 3; M: 5", one per line, "XL=2", "أحمر:٢، أزرق:٣". Entries are
// separated by commas, semicolons (Latin or Arabic) or newlines, and then names may
// contain spaces ("Xanh lá:3"); with only spaces between entries each name is one word.
// A stock may be "unlimited", "không giới hạn", "غير محدود" or "∞". The whole text being
// one of those words or "-" means one unnamed unlimited variant (a pre-order without
// sizes); a plain number means one unnamed variant with that stock.
func ParseVariants(text string) ([]VariantSpec, error) {
	const (
		maxVariants = 20
		maxStock    = 100000
		maxName     = 32 // characters
	)

	s := strings.Map(func(r rune) rune {
		switch {
		case r == '：': // full-width colon
			return ':'
		case unicode.Is(unicode.Bidi_Control, r) || r == '\ufeff':
			return -1
		}
		return r
	}, NormalizeDigits(norm.NFC.String(text)))
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ErrVariantsEmpty
	}

	unlimited := func(w string) bool {
		switch strings.ToLower(strings.Join(strings.Fields(w), " ")) {
		case "unlimited", "không giới hạn", "khong gioi han", "غير محدود", "∞":
			return true
		}
		return false
	}
	// stock reads one stock value: ErrVariantsInvalid when it is not a number at all.
	stock := func(w string) (n int, unlimitedStock bool, err error) {
		if unlimited(w) {
			return 0, true, nil
		}
		negative := false
		if rest, ok := strings.CutPrefix(w, "-"); ok {
			negative, w = true, strings.TrimSpace(rest)
		}
		if w == "" {
			return 0, false, ErrVariantsInvalid
		}
		for i := 0; i < len(w); i++ {
			if w[i] < '0' || w[i] > '9' {
				return 0, false, ErrVariantsInvalid
			}
			if n <= maxStock { // stop growing once out of range; keeps long inputs from overflowing
				n = n*10 + int(w[i]-'0')
			}
		}
		if negative || n > maxStock {
			return 0, false, ErrVariantStock
		}
		return n, false, nil
	}

	if s == "-" || unlimited(s) {
		return []VariantSpec{{Unlimited: true}}, nil
	}
	if !strings.ContainsAny(s, ":=") {
		n, unl, err := stock(s)
		if err != nil {
			return nil, err
		}
		return []VariantSpec{{Stock: n, Unlimited: unl}}, nil
	}

	var entries []string
	if strings.ContainsAny(s, ",;\n،؛") {
		for _, e := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",;\n،؛", r) }) {
			if e = strings.TrimSpace(e); e != "" {
				entries = append(entries, e)
			}
		}
	} else {
		// Only spaces separate entries, so "Red : 2" must first be rejoined around its colon.
		for _, f := range strings.Fields(s) {
			if n := len(entries); n > 0 && (strings.ContainsAny(f[:1], ":=") || strings.HasSuffix(entries[n-1], ":") || strings.HasSuffix(entries[n-1], "=")) {
				entries[n-1] += f
				continue
			}
			entries = append(entries, f)
		}
	}
	if len(entries) > maxVariants {
		return nil, ErrVariantsTooMany
	}

	specs := make([]VariantSpec, 0, len(entries))
	for _, e := range entries {
		i := strings.IndexAny(e, ":=")
		if i < 0 {
			return nil, ErrVariantsInvalid
		}
		name := strings.Join(strings.Fields(e[:i]), " ")
		if name == "" || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			return nil, ErrVariantsInvalid
		}
		if utf8.RuneCountInString(name) > maxName {
			return nil, ErrVariantName
		}
		n, unl, err := stock(strings.TrimSpace(e[i+1:]))
		if err != nil {
			return nil, err
		}
		for _, prev := range specs {
			if strings.EqualFold(prev.Name, name) {
				return nil, ErrVariantDuplicate
			}
		}
		specs = append(specs, VariantSpec{Name: name, Stock: n, Unlimited: unl})
	}
	return specs, nil
}

// ParseQuantity reads a quantity typed by a customer: a whole number from 1 to 999 in any
// of the accepted digits, optionally written "x3" or "×3", and optionally followed by one
// word of letters, which is ignored ("3 cái", "3 pcs", "٣ قطع").
func ParseQuantity(text string) (int, error) {
	const maxQuantity = 999

	s := strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Bidi_Control, r) || r == '\ufeff' {
			return -1
		}
		return r
	}, NormalizeDigits(norm.NFC.String(text)))
	s = strings.ToLower(strings.TrimSpace(s))

	negative := false
	for _, minus := range []string{"-", "−"} {
		if rest, ok := strings.CutPrefix(s, minus); ok {
			negative, s = true, strings.TrimSpace(rest)
			break
		}
	}
	for _, times := range []string{"x", "×"} {
		if rest, ok := strings.CutPrefix(s, times); ok {
			s = strings.TrimSpace(rest)
			break
		}
	}

	n, i := 0, 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n <= maxQuantity { // stop growing once out of range
			n = n*10 + int(s[i]-'0')
		}
	}
	if i == 0 {
		return 0, ErrQuantityInvalid
	}
	if word := strings.TrimSpace(s[i:]); strings.IndexFunc(word, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsMark(r)
	}) >= 0 {
		return 0, ErrQuantityInvalid
	}
	if negative || n < 1 || n > maxQuantity {
		return 0, ErrQuantityRange
	}
	return n, nil
}

// ItemPayload returns the deep-link start payload naming an item: "i_" and the id in base
// 36, at most 15 characters, inside Telegram's 64 characters of [A-Za-z0-9_-]. Ids are
// positive; a payload for any other id is refused by ParseItemPayload.
func ItemPayload(itemID int64) string {
	return "i_" + strconv.FormatInt(itemID, 36)
}

// ParseItemPayload returns the item id named by a payload made by ItemPayload. Anything
// else, including non-canonical spellings (upper case, leading zeros), is ErrPayloadInvalid,
// so one item has exactly one payload.
func ParseItemPayload(p string) (int64, error) {
	digits, ok := strings.CutPrefix(p, "i_")
	if !ok || len(p) > 64 || digits == "" || digits[0] == '0' {
		return 0, ErrPayloadInvalid
	}
	for i := 0; i < len(digits); i++ {
		if c := digits[i]; (c < '0' || c > '9') && (c < 'a' || c > 'z') {
			return 0, ErrPayloadInvalid
		}
	}
	id, err := strconv.ParseInt(digits, 36, 64)
	if err != nil || id <= 0 {
		return 0, ErrPayloadInvalid
	}
	return id, nil
}
