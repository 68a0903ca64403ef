package catalog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopbot/shopbot/catalog"
)

// BenchmarkItemOnShow reads what an item's card shows, in weeks of a few items and of
// many, each with three photos and four sizes: a card needs its neighbours' ids, so it
// should cost about the same whatever the size of the week.
func BenchmarkItemOnShow(b *testing.B) {
	for _, n := range []int{6, 60} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			s := catalog.NewStore(migratedDB(b))
			ctx := context.Background()
			w, err := s.CreateWeek(ctx, "Week", nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			var ids []int64
			for i := range n {
				it := newItem(fmt.Sprintf("Item %d", i), catalog.VariantSpec{Name: "S", Stock: 5}, catalog.VariantSpec{Name: "M", Stock: 5},
					catalog.VariantSpec{Name: "L", Stock: 5}, catalog.VariantSpec{Name: "XL", Stock: 5})
				it.Photos = append(it.Photos, it.Photos[0], it.Photos[0])
				ids = append(ids, mustCreateItem(b, s, w.ID, it).ID)
			}
			if _, err := s.StartPublishing(ctx, w.ID, time.Now(), time.Now().Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, _, _, err := s.ItemOnShow(ctx, ids[i%n]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
