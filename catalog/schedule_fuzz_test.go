package catalog_test

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, wherever the test runs

	"github.com/shopbot/shopbot/catalog"
)

// fuzzZones are shops' zones and some awkward ones: no daylight saving, a 45-minute
// offset, a 30-minute change, changes at midnight, and Samoa, which skipped a whole day
// (Friday 30 December 2011).
var fuzzZones = []string{
	"UTC", "Asia/Ho_Chi_Minh", "Africa/Cairo", "America/New_York", "Asia/Kathmandu",
	"Australia/Lord_Howe", "America/Santiago", "America/Havana", "Pacific/Apia",
}

func FuzzParseWeekly(f *testing.F) {
	seedTimes := []int64{
		time.Date(2026, time.March, 2, 9, 59, 0, 0, time.UTC).Unix(),
		time.Date(2026, time.March, 8, 6, 30, 0, 0, time.UTC).Unix(),    // New York springs forward
		time.Date(2026, time.April, 24, 0, 0, 0, 0, time.UTC).Unix(),    // Cairo's change, at midnight
		time.Date(2011, time.December, 23, 9, 0, 0, 0, time.UTC).Unix(), // a week before Samoa's lost day
		0,
	}
	texts := []string{
		"Mon 10:00 - Thu 18:00", "T2 10h - T5 18h", "thu 2 10h-thu 5 6pm", "الاثنين ١٠:٠٠ - الخميس ١٨:٠٠",
		"Sat 0:00 - Sun 23:59", "Sun 23:59 - Sun 0:00", "Mon 10:00 - Mon 10:00", "Mon 12am - Mon 12pm",
		"Fri 10:00 - Fri 9:59", "Sun 0:00 - Sat 23:59", "Thứ hai 10:00 đến Thứ năm 18:00", "CN 24:00 - T2 1:00",
		"Mon 10:00 - Thu 18:00 - Fri 1:00", "Mon 13pm - Thu 18:00", "يوم الجمعة 10:00 إلى يوم السبت 2pm", "",
	}
	for i, text := range texts {
		f.Add(text, seedTimes[i%len(seedTimes)], uint8(i))
	}
	for i := range fuzzZones {
		f.Add("Fri 10:00 - Sat 10:00", seedTimes[3], uint8(i))
		f.Add("Sun 0:30 - Sat 23:30", seedTimes[2], uint8(i))
	}
	zones := make([]*time.Location, len(fuzzZones))
	for i, name := range fuzzZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		zones[i] = loc
	}
	const span = 300 * 365 * 24 * 3600 // 1900 to 2200
	from := time.Date(1900, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()

	f.Fuzz(func(t *testing.T, text string, at int64, zone uint8) {
		r, err := catalog.ParseWeekly(text)
		if err != nil {
			if !errors.Is(err, catalog.ErrScheduleInvalid) {
				t.Fatalf("ParseWeekly(%q): unexpected error %v", text, err)
			}
			return
		}
		if r.PublishDay < time.Sunday || r.PublishDay > time.Saturday || r.CloseDay < time.Sunday || r.CloseDay > time.Saturday ||
			r.PublishMinute < 0 || r.PublishMinute > 1439 || r.CloseMinute < 0 || r.CloseMinute > 1439 {
			t.Fatalf("ParseWeekly(%q) = %+v: out of range", text, r)
		}
		if r.PublishDay == r.CloseDay && r.PublishMinute == r.CloseMinute {
			t.Fatalf("ParseWeekly(%q) = %+v: closes as it publishes", text, r)
		}

		now := time.Unix(from+(at%span+span)%span, 0)
		// The zone given, and always one of the awkward ones too.
		for _, loc := range []*time.Location{zones[int(zone)%len(zones)], zones[(int(zone)/len(zones))%len(zones)]} {
			const week = 8 * 24 * time.Hour
			publish, closes := r.Next(now, loc)
			if !publish.After(now) || publish.Sub(now) > week {
				t.Fatalf("%+v.Next(%v, %s): publishes %v", r, now, loc, publish)
			}
			if !closes.After(publish) || closes.Sub(publish) > week {
				t.Fatalf("%+v.Next(%v, %s): publishes %v, closes %v", r, now, loc, publish, closes)
			}
			next := r.NextClose(now, loc)
			if !next.After(now) || next.Sub(now) > week {
				t.Fatalf("%+v.NextClose(%v, %s) = %v", r, now, loc, next)
			}
			for _, c := range []struct {
				what   string
				at     time.Time
				day    time.Weekday
				minute int
			}{
				{"publishes", publish, r.PublishDay, r.PublishMinute},
				{"closes", closes, r.CloseDay, r.CloseMinute},
				{"next close", next, r.CloseDay, r.CloseMinute},
			} {
				if !landsOn(c.at, loc, c.day, c.minute) {
					t.Fatalf("%+v from %v in %s %s at %v, not %s at %02d:%02d", r, now, loc, c.what,
						c.at.In(loc), c.day, c.minute/60, c.minute%60)
				}
			}
		}
	})
}

// landsOn reports whether at is where time.Date puts the rule's wall clock on a date
// that is the rule's weekday: that wall clock itself or, on a day it does not exist (a
// daylight-saving gap, Samoa's lost Friday), the instant time.Date picks for it, which
// may show as the day before or after. Dates are counted on the calendar, not by
// AddDate, which would move off a lost day too.
func landsOn(at time.Time, loc *time.Location, day time.Weekday, minute int) bool {
	y, m, d := at.In(loc).Date()
	for off := -1; off <= 1; off++ {
		date := time.Date(y, m, d+off, 0, 0, 0, 0, time.UTC)
		if date.Weekday() != day {
			continue
		}
		if time.Date(date.Year(), date.Month(), date.Day(), minute/60, minute%60, 0, 0, loc).Equal(at) {
			return true
		}
	}
	return false
}
