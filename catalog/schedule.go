package catalog

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrScheduleInvalid is returned for a schedule text that is not two day-and-time pairs.
var ErrScheduleInvalid = errors.New("catalog: schedule not understood")

// dayNames maps what sellers write for a weekday, in English, Vietnamese and Arabic.
var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday, "cn": time.Sunday, "chủ nhật": time.Sunday, "chu nhat": time.Sunday, "الأحد": time.Sunday, "الاحد": time.Sunday,
	"mon": time.Monday, "monday": time.Monday, "t2": time.Monday, "thứ 2": time.Monday, "thứ hai": time.Monday, "الاثنين": time.Monday, "الإثنين": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday, "t3": time.Tuesday, "thứ 3": time.Tuesday, "thứ ba": time.Tuesday, "الثلاثاء": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday, "t4": time.Wednesday, "thứ 4": time.Wednesday, "thứ tư": time.Wednesday, "الأربعاء": time.Wednesday, "الاربعاء": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday, "t5": time.Thursday, "thứ 5": time.Thursday, "thứ năm": time.Thursday, "الخميس": time.Thursday,
	"fri": time.Friday, "friday": time.Friday, "t6": time.Friday, "thứ 6": time.Friday, "thứ sáu": time.Friday, "الجمعة": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday, "t7": time.Saturday, "thứ 7": time.Saturday, "thứ bảy": time.Saturday, "السبت": time.Saturday,
}

var dayTimeRe = regexp.MustCompile(`^\s*(.+?)\s*,?\s+([0-9]{1,2})(?:[:hH.]([0-9]{2})?)?\s*$`)

// ParseWeekly reads a weekly schedule such as "Mon 10:00 - Thu 18:00", "T2 10h - T5 18h"
// or "الاثنين 10:00 - الخميس 18:00": when to publish, then when bookings close.
func ParseWeekly(text string) (Rule, error) {
	text = NormalizeDigits(strings.ToLower(strings.TrimSpace(text)))
	sep := regexp.MustCompile(`\s+(?:-|–|—|to|đến|→|إلى|الى)\s+|\s*[–—→]\s*`)
	parts := sep.Split(text, -1)
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
	m := dayTimeRe.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, ErrScheduleInvalid
	}
	day, ok := dayNames[strings.Join(strings.Fields(m[1]), " ")]
	if !ok {
		return 0, 0, ErrScheduleInvalid
	}
	hour, _ := strconv.Atoi(m[2])
	minute := 0
	if m[3] != "" {
		minute, _ = strconv.Atoi(m[3])
	}
	if hour > 23 || minute > 59 {
		return 0, 0, ErrScheduleInvalid
	}
	return day, hour*60 + minute, nil
}
