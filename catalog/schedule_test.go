package catalog_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shopbot/shopbot/catalog"
)

func TestParseWeekly(t *testing.T) {
	t.Parallel()
	monThu := catalog.Rule{PublishDay: time.Monday, PublishMinute: 10 * 60, CloseDay: time.Thursday, CloseMinute: 18 * 60}
	tests := []struct {
		name, text string
		want       catalog.Rule
	}{
		{"english short", "Mon 10:00 - Thu 18:00", monThu},
		{"english long with to", "monday 10 to thursday 18:30",
			catalog.Rule{PublishDay: time.Monday, PublishMinute: 600, CloseDay: time.Thursday, CloseMinute: 18*60 + 30}},
		{"english capitals", "MONDAY 10:00 - THURSDAY 18:00", monThu},
		{"hyphen without spaces", "Mon 10:00-Thu 18:00", monThu},
		{"hyphen on one side", "T2 10h -T5 18h", monThu},
		{"am and pm", "Mon 10am - Thurs 6pm", monThu},
		{"thur", "Mon 10:00 - Thur 18:00", monThu},
		{"tilde", "T2 10h ~ T5 18h", monThu},
		{"vietnamese without diacritics", "thu 2 10h - thu 5 18h", monThu},
		{"vietnamese words without diacritics", "thu hai 10:00 den thu nam 18:00", monThu},
		{"vietnamese decomposed", "Th\u01b0\u0301 hai 10:00 - Th\u01b0\u0301 n\u0103m 18:00", monThu},
		{"vietnamese gio", "T2 10 giờ - T5 18 giờ", monThu},
		{"arabic with a leading mark", "\u200fالاثنين 10:00 - الخميس 18:00", monThu},
		{"arabic yawm", "يوم الاثنين 10:00 - يوم الخميس 18:00", monThu},
		{"english en dash without spaces", "Mon 10:00–Thu 18:00", monThu},
		{"english em dash", "Mon 10:00 — Thu 18:00", monThu},
		{"english arrow", "Mon 10:00 → Thu 18:00", monThu},
		{"english dotted time", "Mon 10.00 - Thu 18.00", monThu},
		{"english comma after day", "Mon, 10:00 - Thu, 18:00", monThu},
		{"surrounding space", "  Mon 10:00 - Thu 18:00 \n", monThu},
		{"weekend to sunday", "Sat 0:00 - Sun 23:59",
			catalog.Rule{PublishDay: time.Saturday, PublishMinute: 0, CloseDay: time.Sunday, CloseMinute: 23*60 + 59}},
		{"vietnamese short", "T2 10h - T5 18h", monThu},
		{"vietnamese short with minutes", "T2 10h30 - T5 18h",
			catalog.Rule{PublishDay: time.Monday, PublishMinute: 630, CloseDay: time.Thursday, CloseMinute: 1080}},
		{"vietnamese words", "Thứ hai 10:00 đến Thứ năm 18:00", monThu},
		{"vietnamese capitalised words", "Thứ Hai 10h - Thứ Năm 18h", monThu},
		{"vietnamese day numbers", "Thứ 2 10:00 - Thứ 5 18:00", monThu},
		{"vietnamese comma after day", "thứ 2, 10:00 - thứ 5, 18:00", monThu},
		{"vietnamese sunday", "CN 9:00 - T4 20:00",
			catalog.Rule{PublishDay: time.Sunday, PublishMinute: 9 * 60, CloseDay: time.Wednesday, CloseMinute: 20 * 60}},
		{"vietnamese sunday words", "Chủ nhật 9h - Thứ tư 20h",
			catalog.Rule{PublishDay: time.Sunday, PublishMinute: 9 * 60, CloseDay: time.Wednesday, CloseMinute: 20 * 60}},
		{"arabic", "الاثنين 10:00 - الخميس 18:00", monThu},
		{"arabic hamza spelling", "الإثنين 10:00 - الخميس 18:00", monThu},
		{"arabic-indic digits", "الاثنين ١٠:٠٠ - الخميس ١٨:٠٠", monThu},
		{"arabic-indic digits and en dash", "الاثنين ١٠:٠٠ – الخميس ١٨:٣٠",
			catalog.Rule{PublishDay: time.Monday, PublishMinute: 600, CloseDay: time.Thursday, CloseMinute: 18*60 + 30}},
		{"arabic word separator", "الاثنين 10:00 إلى الخميس 18:00", monThu},
		{"arabic saturday to sunday", "السبت 9:00 - الأحد 21:00",
			catalog.Rule{PublishDay: time.Saturday, PublishMinute: 9 * 60, CloseDay: time.Sunday, CloseMinute: 21 * 60}},
		{"same day, different times", "Mon 10:00 - Mon 22:00",
			catalog.Rule{PublishDay: time.Monday, PublishMinute: 600, CloseDay: time.Monday, CloseMinute: 22 * 60}},
		{"close before publish in the week", "Fri 10:00 - Tue 18:00",
			catalog.Rule{PublishDay: time.Friday, PublishMinute: 600, CloseDay: time.Tuesday, CloseMinute: 1080}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := catalog.ParseWeekly(tt.text)
			if err != nil {
				t.Fatalf("ParseWeekly(%q): %v", tt.text, err)
			}
			if got != tt.want {
				t.Errorf("ParseWeekly(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseWeeklyInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text string }{
		{"empty", ""},
		{"blank", "   "},
		{"one part", "Mon 10:00"},
		{"three parts", "Mon 10:00 - Thu 18:00 - Fri 10:00"},
		{"unknown day", "Xyz 10:00 - Thu 18:00"},
		{"unknown close day", "Mon 10:00 - Someday 18:00"},
		{"no time", "Mon - Thu"},
		{"no day", "10:00 - 18:00"},
		{"hour 24", "Mon 24:00 - Thu 18:00"},
		{"close hour 24", "Mon 10:00 - Thu 24:00"},
		{"minute 60", "Mon 10:60 - Thu 18:00"},
		{"close minute 60", "Mon 10:00 - Thu 18:60"},
		{"three-digit hour", "Mon 100:00 - Thu 18:00"},
		{"same day and time", "Mon 10:00 - Mon 10:00"},
		{"same day and time, other spellings", "Monday 10h - T2 10:00"},
		{"vietnamese hour 25", "T2 25h - T5 18h"},
		{"arabic-indic minute 60", "الاثنين ١٠:٦٠ - الخميس ١٨:٠٠"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := catalog.ParseWeekly(tt.text)
			if !errors.Is(err, catalog.ErrScheduleInvalid) {
				t.Errorf("ParseWeekly(%q) = %+v, %v; want ErrScheduleInvalid", tt.text, got, err)
			}
		})
	}
}
