package catalog_test

import (
	"errors"
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/money"
)

// The tables are package variables so the fuzz targets can seed from them.

var priceCases = []struct {
	text, cur string
	want      int64
	err       error
}{
	// VND: no minor units, so "." and "," before three digits group thousands.
	{"150000", "VND", 150000, nil},
	{"150.000", "VND", 150000, nil},
	{"150,000", "VND", 150000, nil},
	{"150 000", "VND", 150000, nil},
	{"150\u00a0000", "VND", 150000, nil},
	{"150 000 000", "VND", 150000000, nil},
	{"1.250.000", "VND", 1250000, nil},
	{"1,250,000", "VND", 1250000, nil},
	{"150k", "VND", 150000, nil},
	{"150K", "VND", 150000, nil},
	{"150 k", "VND", 150000, nil},
	{"1.5m", "VND", 1500000, nil},
	{"1,5m", "VND", 1500000, nil},
	{"1.5 M", "VND", 1500000, nil},
	{"0.5k", "VND", 500, nil},
	{"1.500k", "VND", 1500000, nil}, // Vietnamese shorthand for 1.500.000
	{"2tr", "VND", 2000000, nil},
	{"2 triệu", "VND", 2000000, nil},
	{"2 TRIỆU", "VND", 2000000, nil},
	{"2 trie\u0323\u0302u", "VND", 2000000, nil}, // decomposed (NFD) Vietnamese
	{"2 trieu", "VND", 2000000, nil},
	{"2 triệu đồng", "VND", 2000000, nil},
	{"150 nghìn", "VND", 150000, nil},
	{"150 ngàn", "VND", 150000, nil},
	{"150kđ", "VND", 150000, nil},
	{"150.000 ₫", "VND", 150000, nil},
	{"150.000\u00a0₫", "VND", 150000, nil},
	{"150.000đ", "VND", 150000, nil},
	{"150.000 VNĐ", "VND", 150000, nil},
	{"150000 VND", "VND", 150000, nil},
	{"150000vnd", "VND", 150000, nil},
	{"VND 150000", "VND", 150000, nil},
	{"₫150.000", "VND", 150000, nil},
	{"  150.000  ", "VND", 150000, nil},
	{"١٥٠٬٠٠٠", "VND", 150000, nil},
	{"150000", "vnd", 150000, nil},
	{"1.000.000.000.000.000", "VND", 1_000_000_000_000_000, nil},
	{"12.5", "VND", 0, catalog.ErrPricePrecision},
	{"0.5", "VND", 0, catalog.ErrPricePrecision},
	{"0,500", "VND", 0, catalog.ErrPricePrecision},
	{"1,250.50", "VND", 0, catalog.ErrPricePrecision},
	{"1.2345k", "VND", 0, catalog.ErrPricePrecision},
	{"١٥٠٫٠٠٠", "VND", 0, catalog.ErrPricePrecision}, // ٫ is always the decimal separator
	{"250 USD", "VND", 0, catalog.ErrPriceCurrency},
	{"$12", "VND", 0, catalog.ErrPriceCurrency},
	{"250 جنيه", "VND", 0, catalog.ErrPriceCurrency},
	{"-5", "VND", 0, catalog.ErrPriceNegative},
	{"-150.000 ₫", "VND", 0, catalog.ErrPriceNegative},
	{"−5", "VND", 0, catalog.ErrPriceNegative},
	{"0", "VND", 0, catalog.ErrPriceZero},
	{"0k", "VND", 0, catalog.ErrPriceZero},
	{"1.000.000.000.000.001", "VND", 0, catalog.ErrPriceTooLarge},
	{"1000000000000001", "VND", 0, catalog.ErrPriceTooLarge},
	{"99999999999999999999999999", "VND", 0, catalog.ErrPriceTooLarge},
	{"1000000000000m", "VND", 0, catalog.ErrPriceTooLarge},
	{"", "VND", 0, catalog.ErrPriceInvalid},
	{"   ", "VND", 0, catalog.ErrPriceInvalid},
	{"abc", "VND", 0, catalog.ErrPriceInvalid},
	{"150 abc", "VND", 0, catalog.ErrPriceInvalid},
	{"giá 150k", "VND", 0, catalog.ErrPriceInvalid},
	{"1.25.000", "VND", 0, catalog.ErrPriceInvalid},
	{"1.2500.000", "VND", 0, catalog.ErrPriceInvalid},
	{"1..5", "VND", 0, catalog.ErrPriceInvalid},
	{"150.000.", "VND", 0, catalog.ErrPriceInvalid},
	{".5", "VND", 0, catalog.ErrPriceInvalid},
	{"k", "VND", 0, catalog.ErrPriceInvalid},
	{"₫", "VND", 0, catalog.ErrPriceInvalid},
	{"150 k k", "VND", 0, catalog.ErrPriceInvalid},
	{"2tr5", "VND", 0, catalog.ErrPriceInvalid},
	{"1e6", "VND", 0, catalog.ErrPriceInvalid},
	{"0.150.000", "VND", 0, catalog.ErrPriceInvalid},
	{"150٬k", "VND", 0, catalog.ErrPriceInvalid},
	{"150kusd", "VND", 0, catalog.ErrPriceCurrency},

	// EGP: two decimals.
	{"250", "EGP", 25000, nil},
	{"٢٥٠", "EGP", 25000, nil},
	{"۲۵۰", "EGP", 25000, nil},
	{"250 EGP", "EGP", 25000, nil},
	{"EGP 250", "EGP", 25000, nil},
	{"egp250", "EGP", 25000, nil},
	{"250 جنيه", "EGP", 25000, nil},
	{"٢٥٠ جنيه", "EGP", 25000, nil},
	{"\u200f٢٥٠ جنيه\u200f", "EGP", 25000, nil}, // RLM marks pasted from an RTL chat
	{"جنيه ٢٥٠", "EGP", 25000, nil},
	{"250 ج.م", "EGP", 25000, nil},
	{"LE 250", "EGP", 25000, nil},
	{"250 L.E.", "EGP", 25000, nil},
	{"£250", "EGP", 25000, nil},
	{"250 ألف", "EGP", 25000000, nil},
	{"12.50", "EGP", 1250, nil},
	{"12,5", "EGP", 1250, nil},
	{"1,250.50", "EGP", 125050, nil},
	{"1.250,50", "EGP", 125050, nil},
	{"EGP 1,250.00", "EGP", 125000, nil},
	{"EGP\u00a01,250.00", "EGP", 125000, nil},
	{"١٬٢٥٠٫٥٠", "EGP", 125050, nil},
	{"٢٥٠٫٥", "EGP", 25050, nil},
	{"1.250.000", "EGP", 125000000, nil},
	{"1.500", "EGP", 0, catalog.ErrPriceAmbiguous},
	{"1,500", "EGP", 0, catalog.ErrPriceAmbiguous},
	{"١٫٥٠٠", "EGP", 0, catalog.ErrPricePrecision},
	{"12.505", "EGP", 0, catalog.ErrPriceAmbiguous},
	{"12.5055", "EGP", 0, catalog.ErrPricePrecision},
	{"1.250,500", "EGP", 0, catalog.ErrPricePrecision},
	{"250 VND", "EGP", 0, catalog.ErrPriceCurrency},
	{"₫250", "EGP", 0, catalog.ErrPriceCurrency},
	{"-٢٥٠", "EGP", 0, catalog.ErrPriceNegative},
	{"٠", "EGP", 0, catalog.ErrPriceZero},
	{"1,250,50", "EGP", 0, catalog.ErrPriceInvalid},
	{"1.250,50.00", "EGP", 0, catalog.ErrPriceInvalid},
	{"١٫٢٥٠٫٥", "EGP", 0, catalog.ErrPriceInvalid},

	// USD: two decimals.
	{"$12.50", "USD", 1250, nil},
	{"12.50", "USD", 1250, nil},
	{"12,50", "USD", 1250, nil},
	{"12,5", "USD", 1250, nil},
	{"12", "USD", 1200, nil},
	{"$ 12.50", "USD", 1250, nil},
	{"12.50$", "USD", 1250, nil},
	{"$1,234.56", "USD", 123456, nil},
	{"1.234,56", "USD", 123456, nil},
	{"US$ 5", "USD", 500, nil},
	{"5 usd", "USD", 500, nil},
	{"$0.01", "USD", 1, nil},
	{"1.5k", "USD", 150000, nil},
	{"1.250.000", "USD", 125000000, nil},
	{"150 000", "USD", 15000000, nil},
	{"1500.000", "USD", 0, catalog.ErrPricePrecision}, // cannot be thousands, so decimals
	{"$10,000,000,000,000.00", "USD", 1_000_000_000_000_000, nil},
	{"$10,000,000,000,000.01", "USD", 0, catalog.ErrPriceTooLarge},
	{"$1,500", "USD", 0, catalog.ErrPriceAmbiguous},
	{"1.500", "USD", 0, catalog.ErrPriceAmbiguous},
	{"150.000", "USD", 0, catalog.ErrPriceAmbiguous},
	{"12.505", "USD", 0, catalog.ErrPriceAmbiguous},
	{"1.500k", "USD", 0, catalog.ErrPriceAmbiguous},
	{"12.5055", "USD", 0, catalog.ErrPricePrecision},
	{"0.500", "USD", 0, catalog.ErrPricePrecision},
	{"€12", "USD", 0, catalog.ErrPriceCurrency},
	{"12 EGP", "USD", 0, catalog.ErrPriceCurrency},
	{"-$12.50", "USD", 0, catalog.ErrPriceNegative},
	{"$-12.50", "USD", 0, catalog.ErrPriceNegative},
	{"$0.00", "USD", 0, catalog.ErrPriceZero},
	{"$", "USD", 0, catalog.ErrPriceInvalid},
	{"12.50.", "USD", 0, catalog.ErrPriceInvalid},
	{"1 2", "USD", 0, catalog.ErrPriceInvalid},
	{"--5", "USD", 0, catalog.ErrPriceInvalid},

	// Other currencies follow their own scale.
	{"€12.50", "EUR", 1250, nil},
	{"12,50 €", "EUR", 1250, nil},
	{"£12.50", "GBP", 1250, nil},
	{"¥1,235", "JPY", 1235, nil},
	{"¥12.50", "CNY", 1250, nil},
	{"$12.50", "AUD", 1250, nil},
	{"KWD 1,234.567", "KWD", 1234567, nil},
	{"1.500", "KWD", 0, catalog.ErrPriceAmbiguous},
	{"$12", "MXN", 0, catalog.ErrPriceCurrency},
}

func TestParsePrice(t *testing.T) {
	for _, tt := range priceCases {
		got, err := catalog.ParsePrice(tt.text, tt.cur)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParsePrice(%q, %q) = %d, %v; want %d, %v", tt.text, tt.cur, got, err, tt.want, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		// What the bot shows must be read back as the same price.
		shown := money.Format(got, tt.cur)
		if back, err := catalog.ParsePrice(shown, tt.cur); err != nil || back != got {
			t.Errorf("ParsePrice(Format(%d, %q) = %q) = %d, %v", got, tt.cur, shown, back, err)
		}
	}
}

func TestNormalizeDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"٠١٢٣٤٥٦٧٨٩", "0123456789"},
		{"۰۱۲۳۴۵۶۷۸۹", "0123456789"},
		{"١٬٢٥٠٫٥", "1,250.5"},
		{"S:٣ M:۵", "S:3 M:5"},
		{"abc 12.5", "abc 12.5"},
		{"أحمر", "أحمر"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := catalog.NormalizeDigits(tt.in); got != tt.want {
			t.Errorf("NormalizeDigits(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

type variants = []catalog.VariantSpec

var variantsCases = []struct {
	text string
	want variants
	err  error
}{
	{"S:3, M:5, L:0", variants{{Name: "S", Stock: 3}, {Name: "M", Stock: 5}, {Name: "L", Stock: 0}}, nil},
	{"Red:2 Blue:4", variants{{Name: "Red", Stock: 2}, {Name: "Blue", Stock: 4}}, nil},
	{"Red : 2  Blue :4", variants{{Name: "Red", Stock: 2}, {Name: "Blue", Stock: 4}}, nil},
	{"S: 3; M: 5", variants{{Name: "S", Stock: 3}, {Name: "M", Stock: 5}}, nil},
	{"S:3\nM:5\r\nL:1\n", variants{{Name: "S", Stock: 3}, {Name: "M", Stock: 5}, {Name: "L", Stock: 1}}, nil},
	{"Đỏ:2, Xanh lá:3", variants{{Name: "Đỏ", Stock: 2}, {Name: "Xanh lá", Stock: 3}}, nil},
	{"Xanh   lá : 3,", variants{{Name: "Xanh lá", Stock: 3}}, nil},
	{"XL=2", variants{{Name: "XL", Stock: 2}}, nil},
	{"S：3", variants{{Name: "S", Stock: 3}}, nil},
	{"S:٣, M:۵", variants{{Name: "S", Stock: 3}, {Name: "M", Stock: 5}}, nil},
	{"أحمر:٢", variants{{Name: "أحمر", Stock: 2}}, nil},
	{"أحمر: ٢، أزرق: ٣", variants{{Name: "أحمر", Stock: 2}, {Name: "أزرق", Stock: 3}}, nil},
	{"أحمر: ٢؛ أزرق أسود: ٣", variants{{Name: "أحمر", Stock: 2}, {Name: "أزرق أسود", Stock: 3}}, nil},
	{"S:∞, M:2", variants{{Name: "S", Unlimited: true}, {Name: "M", Stock: 2}}, nil},
	{"S:Unlimited; M:0", variants{{Name: "S", Unlimited: true}, {Name: "M", Stock: 0}}, nil},
	{"S: không giới hạn, M: 1", variants{{Name: "S", Unlimited: true}, {Name: "M", Stock: 1}}, nil},
	{"S:100000", variants{{Name: "S", Stock: 100000}}, nil},
	{"unlimited", variants{{Unlimited: true}}, nil},
	{" UNLIMITED ", variants{{Unlimited: true}}, nil},
	{"Không giới hạn", variants{{Unlimited: true}}, nil},
	{"غير محدود", variants{{Unlimited: true}}, nil},
	{"∞", variants{{Unlimited: true}}, nil},
	{"-", variants{{Unlimited: true}}, nil},
	{"7", variants{{Stock: 7}}, nil},
	{"٧", variants{{Stock: 7}}, nil},
	{"0", variants{{Stock: 0}}, nil},
	{strings.Repeat("x", 32) + ":1", variants{{Name: strings.Repeat("x", 32), Stock: 1}}, nil},
	{strings.Repeat("đ", 32) + ":1", variants{{Name: strings.Repeat("đ", 32), Stock: 1}}, nil},

	{"", nil, catalog.ErrVariantsEmpty},
	{" \n\u00a0", nil, catalog.ErrVariantsEmpty},
	{"S", nil, catalog.ErrVariantsInvalid},
	{"S 3", nil, catalog.ErrVariantsInvalid},
	{"S:", nil, catalog.ErrVariantsInvalid},
	{":3", nil, catalog.ErrVariantsInvalid},
	{"S:x", nil, catalog.ErrVariantsInvalid},
	{"S:3.5", nil, catalog.ErrVariantsInvalid},
	{"S:3 M", nil, catalog.ErrVariantsInvalid},
	{"S:3, 5", nil, catalog.ErrVariantsInvalid},
	{"S:3:4", nil, catalog.ErrVariantsInvalid},
	{"Xanh lá:3", nil, catalog.ErrVariantsInvalid}, // without commas a name is one word
	{"S:-", nil, catalog.ErrVariantsInvalid},
	{"S:3, s:4", nil, catalog.ErrVariantDuplicate},
	{"Đỏ:1, ĐỎ:2", nil, catalog.ErrVariantDuplicate},
	{"S:-1", nil, catalog.ErrVariantStock},
	{"S:100001", nil, catalog.ErrVariantStock},
	{"S:99999999999999999999999", nil, catalog.ErrVariantStock},
	{"-3", nil, catalog.ErrVariantStock},
	{"100001", nil, catalog.ErrVariantStock},
	{strings.Repeat("x", 33) + ":1", nil, catalog.ErrVariantName},
	{strings.Repeat("a:1,", 21), nil, catalog.ErrVariantsTooMany},
}

func TestParseVariants(t *testing.T) {
	for _, tt := range variantsCases {
		got, err := catalog.ParseVariants(tt.text)
		if !errors.Is(err, tt.err) || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseVariants(%q) = %+v, %v; want %+v, %v", tt.text, got, err, tt.want, tt.err)
		}
	}

	// Twenty is the limit, not one less.
	var b strings.Builder
	for i := range 20 {
		b.WriteString(string(rune('A'+i)) + ":1, ")
	}
	if got, err := catalog.ParseVariants(b.String()); err != nil || len(got) != 20 {
		t.Errorf("ParseVariants(20 variants) = %d variants, %v", len(got), err)
	}
}

var quantityCases = []struct {
	text string
	want int
	err  error
}{
	{"3", 3, nil},
	{"٣", 3, nil},
	{"۳", 3, nil},
	{" 3 ", 3, nil},
	{"\u00a03\u00a0", 3, nil},
	{"03", 3, nil},
	{"x3", 3, nil},
	{"X3", 3, nil},
	{"x 3", 3, nil},
	{"×3", 3, nil},
	{"3x", 3, nil},
	{"3 cái", 3, nil},
	{"3cái", 3, nil},
	{"3 pcs", 3, nil},
	{"٣ قطع", 3, nil},
	{"1", 1, nil},
	{"999", 999, nil},

	{"", 0, catalog.ErrQuantityInvalid},
	{"abc", 0, catalog.ErrQuantityInvalid},
	{"three", 0, catalog.ErrQuantityInvalid},
	{"3.5", 0, catalog.ErrQuantityInvalid},
	{"1,000", 0, catalog.ErrQuantityInvalid},
	{"1e3", 0, catalog.ErrQuantityInvalid},
	{"3 cái áo", 0, catalog.ErrQuantityInvalid},
	{"3 + 1", 0, catalog.ErrQuantityInvalid},
	{"-", 0, catalog.ErrQuantityInvalid},
	{"0", 0, catalog.ErrQuantityRange},
	{"x0", 0, catalog.ErrQuantityRange},
	{"-1", 0, catalog.ErrQuantityRange},
	{"-٣", 0, catalog.ErrQuantityRange},
	{"1000", 0, catalog.ErrQuantityRange},
	{"99999999999999999999999", 0, catalog.ErrQuantityRange},
}

func TestParseQuantity(t *testing.T) {
	for _, tt := range quantityCases {
		got, err := catalog.ParseQuantity(tt.text)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParseQuantity(%q) = %d, %v; want %d, %v", tt.text, got, err, tt.want, tt.err)
		}
	}
}

// Telegram's rule for a deep-link start payload.
var payloadRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func TestItemPayload(t *testing.T) {
	for _, id := range []int64{1, 9, 35, 36, 12345, 1 << 40, math.MaxInt64} {
		p := catalog.ItemPayload(id)
		if !payloadRe.MatchString(p) {
			t.Errorf("ItemPayload(%d) = %q: not a valid start payload", id, p)
		}
		if got, err := catalog.ParseItemPayload(p); err != nil || got != id {
			t.Errorf("ParseItemPayload(%q) = %d, %v; want %d", p, got, err, id)
		}
	}
	if got := catalog.ItemPayload(math.MaxInt64); got != "i_1y2p0ij32e8e7" {
		t.Errorf("ItemPayload(MaxInt64) = %q", got)
	}

	for _, p := range []string{
		"", "i_", "i", "x_1", "I_1", "i-1", "i_A", "i_0", "i_00", "i_01", "i_-1",
		"i_1 ", " i_1", "i_1\n", "i_a/b", "i_٣", "i__1",
		catalog.ItemPayload(0), catalog.ItemPayload(-5), catalog.ItemPayload(math.MinInt64),
		"i_1y2p0ij32e8e8", // MaxInt64 + 1
		"i_" + strings.Repeat("z", 13),
		"i_" + strings.Repeat("1", 62),
		"i_" + strings.Repeat("1", 63),
	} {
		if got, err := catalog.ParseItemPayload(p); !errors.Is(err, catalog.ErrPayloadInvalid) {
			t.Errorf("ParseItemPayload(%q) = %d, %v; want ErrPayloadInvalid", p, got, err)
		}
	}
}
