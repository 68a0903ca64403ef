package catalog

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ErrScheduleInvalid is returned for a schedule text that is not two day-and-time pairs.
var ErrScheduleInvalid = errors.New("catalog: schedule not understood")

// dayNames maps what sellers write for a weekday, in English, Vietnamese (with and
// without diacritics) and Arabic.
var dayNames = weekdayNames()

func weekdayNames() map[string]time.Weekday {
	out := map[string]time.Weekday{}
	names := map[time.Weekday][]string{
		time.Sunday:    {"sun", "sunday", "cn", "chủ nhật", "chu nhat", "الأحد", "الاحد"},
		time.Monday:    {"mon", "monday", "t2", "thứ 2", "thứ hai", "thu 2", "thu hai", "الاثنين", "الإثنين"},
		time.Tuesday:   {"tue", "tues", "tuesday", "t3", "thứ 3", "thứ ba", "thu 3", "thu ba", "الثلاثاء"},
		time.Wednesday: {"wed", "wednesday", "t4", "thứ 4", "thứ tư", "thu 4", "thu tu", "الأربعاء", "الاربعاء"},
		time.Thursday:  {"thu", "thur", "thurs", "thursday", "t5", "thứ 5", "thứ năm", "thu 5", "thu nam", "الخميس"},
		time.Friday:    {"fri", "friday", "t6", "thứ 6", "thứ sáu", "thu 6", "thu sau", "الجمعة"},
		time.Saturday:  {"sat", "saturday", "t7", "thứ 7", "thứ bảy", "thu 7", "thu bay", "السبت"},
	}
	for day, list := range names {
		for _, n := range list {
			out[n] = day
		}
	}
	return out
}

var (
	// "to" between the two halves: a dash (with or without spaces: times never hold
	// one), an arrow, a tilde, or a word.
	scheduleSep = regexp.MustCompile(`\s*[-–—~→]\s*|\s+(?:to|đến|den|إلى|الى)\s+`)
	dayTimeRe   = regexp.MustCompile(`^(.+?)\s*,?\s+([0-9]{1,2})(?:\s*(?:[:hH.]|giờ|gio)\s*([0-9]{2})?)?\s*(am|pm|sáng|chiều|tối)?$`)
)

// ParseWeekly reads a weekly schedule such as "Mon 10:00 - Thu 18:00", "T2 10h - T5 18h",
// "thu 2 10h-thu 5 6pm" or "الاثنين 10:00 - الخميس 18:00": when to publish, then when
// bookings close.
func ParseWeekly(text string) (Rule, error) {
	text = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Bidi_Control, r) || r == '\u200f' || r == '\u200e' {
			return -1
		}
		return r
	}, text)
	text = NormalizeDigits(strings.ToLower(norm.NFC.String(strings.TrimSpace(text))))
	parts := scheduleSep.Split(text, -1)
	if len(parts) != 2 {
		return Rule{}, ErrScheduleInvalid
	}
	pd, pm, err := parseDayTime(parts[0])
	if err != nil {
		return Rule{}, err
	}
	cd, cm, err := parseDayTime(parts[1])
	if err != nil {
		return Rule{}, err
	}
	if pd == cd && pm == cm {
		return Rule{}, ErrScheduleInvalid
	}
	return Rule{PublishDay: pd, PublishMinute: pm, CloseDay: cd, CloseMinute: cm}, nil
}

func parseDayTime(s string) (time.Weekday, int, error) {
	m := dayTimeRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, 0, ErrScheduleInvalid
	}
	name := strings.Join(strings.Fields(m[1]), " ")
	name = strings.TrimPrefix(name, "يوم ")
	day, ok := dayNames[name]
	if !ok {
		return 0, 0, ErrScheduleInvalid
	}
	hour, _ := strconv.Atoi(m[2])
	minute := 0
	if m[3] != "" {
		minute, _ = strconv.Atoi(m[3])
	}
	switch m[4] {
	case "am", "sáng":
		if hour < 1 || hour > 12 {
			return 0, 0, ErrScheduleInvalid
		}
		hour %= 12
	case "pm", "chiều", "tối":
		if hour < 1 || hour > 12 {
			return 0, 0, ErrScheduleInvalid
		}
		hour = hour%12 + 12
	}
	if hour > 23 || minute > 59 {
		return 0, 0, ErrScheduleInvalid
	}
	return day, hour*60 + minute, nil
}
