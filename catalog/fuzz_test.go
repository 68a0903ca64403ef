package catalog_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/money"
)

func FuzzParsePrice(f *testing.F) {
	for _, tt := range priceCases {
		f.Add(tt.text)
	}
	priceErrs := []error{
		catalog.ErrPriceInvalid, catalog.ErrPriceAmbiguous, catalog.ErrPricePrecision,
		catalog.ErrPriceCurrency, catalog.ErrPriceNegative, catalog.ErrPriceZero, catalog.ErrPriceTooLarge,
	}
	// The parsers return the sentinels themselves, unwrapped.
	f.Fuzz(func(t *testing.T, text string) {
		for _, cur := range []string{"VND", "USD", "EGP"} {
			v, err := catalog.ParsePrice(text, cur)
			if err != nil {
				if !slices.Contains(priceErrs, err) {
					t.Fatalf("ParsePrice(%q, %s): unexpected error %v", text, cur, err)
				}
				continue
			}
			if v <= 0 || v > 1_000_000_000_000_000 {
				t.Fatalf("ParsePrice(%q, %s) = %d: out of range", text, cur, v)
			}
			shown := money.Format(v, cur)
			if back, err := catalog.ParsePrice(shown, cur); err != nil || back != v {
				t.Fatalf("ParsePrice(%q, %s) = %d, but its formatting %q reads back as %d, %v", text, cur, v, shown, back, err)
			}
		}
	})
}

func FuzzParseVariants(f *testing.F) {
	for _, tt := range variantsCases {
		f.Add(tt.text)
	}
	variantErrs := []error{
		catalog.ErrVariantsEmpty, catalog.ErrVariantsInvalid, catalog.ErrVariantDuplicate,
		catalog.ErrVariantStock, catalog.ErrVariantName, catalog.ErrVariantsTooMany,
	}
	f.Fuzz(func(t *testing.T, text string) {
		specs, err := catalog.ParseVariants(text)
		if err != nil {
			if !slices.Contains(variantErrs, err) {
				t.Fatalf("ParseVariants(%q): unexpected error %v", text, err)
			}
			return
		}
		if len(specs) == 0 || len(specs) > 20 {
			t.Fatalf("ParseVariants(%q) = %d variants", text, len(specs))
		}
		for i, v := range specs {
			if v.Name == "" && len(specs) != 1 {
				t.Fatalf("ParseVariants(%q): unnamed variant among %d", text, len(specs))
			}
			if !utf8.ValidString(v.Name) || utf8.RuneCountInString(v.Name) > 32 || v.Name != strings.TrimSpace(v.Name) {
				t.Fatalf("ParseVariants(%q): bad name %q", text, v.Name)
			}
			if v.Stock < 0 || v.Stock > 100000 || (v.Unlimited && v.Stock != 0) {
				t.Fatalf("ParseVariants(%q): bad stock %+v", text, v)
			}
			for _, w := range specs[:i] {
				if strings.EqualFold(v.Name, w.Name) {
					t.Fatalf("ParseVariants(%q): %q and %q both present", text, w.Name, v.Name)
				}
			}
		}
	})
}

func FuzzParseQuantity(f *testing.F) {
	for _, tt := range quantityCases {
		f.Add(tt.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		q, err := catalog.ParseQuantity(text)
		if err != nil {
			if err != catalog.ErrQuantityInvalid && err != catalog.ErrQuantityRange {
				t.Fatalf("ParseQuantity(%q): unexpected error %v", text, err)
			}
			return
		}
		if q < 1 || q > 999 {
			t.Fatalf("ParseQuantity(%q) = %d: out of range", text, q)
		}
	})
}

func FuzzParseItemPayload(f *testing.F) {
	for _, s := range []string{"i_1", "i_z", "i_10", "i_1y2p0ij32e8e7", "i_1y2p0ij32e8e8", "i_0", "i_-1", "I_1", ""} {
		f.Add(s, int64(1))
	}
	f.Add("i_a", int64(9223372036854775807))
	f.Add("x", int64(-1))
	f.Add("x", int64(0))
	f.Fuzz(func(t *testing.T, p string, id int64) {
		if got, err := catalog.ParseItemPayload(p); err == nil {
			if got <= 0 || !payloadRe.MatchString(p) || catalog.ItemPayload(got) != p {
				t.Fatalf("ParseItemPayload(%q) = %d, whose payload is %q", p, got, catalog.ItemPayload(got))
			}
		} else if !errors.Is(err, catalog.ErrPayloadInvalid) {
			t.Fatalf("ParseItemPayload(%q): unexpected error %v", p, err)
		}

		pid := catalog.ItemPayload(id)
		got, err := catalog.ParseItemPayload(pid)
		switch {
		case id > 0 && (err != nil || got != id || !payloadRe.MatchString(pid)):
			t.Fatalf("ItemPayload(%d) = %q, read back as %d, %v", id, pid, got, err)
		case id <= 0 && err == nil:
			t.Fatalf("ItemPayload(%d) = %q accepted as %d", id, pid, got)
		}
	})
}
