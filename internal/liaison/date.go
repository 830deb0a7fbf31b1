package liaison

import (
	"fmt"
	"time"
)

// vietnam is the zone of edXML timestamps (UTC+7, no daylight saving).
var vietnam = time.FixedZone("ICT", 7*3600)

const (
	dateLayout      = "2006/01/02"
	timestampLayout = "2006/01/02 15:04:05"
)

// Date is a calendar date (yyyy/MM/dd in edXML). The zero Date means "absent".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar date of t in Vietnam time.
func DateOf(t time.Time) Date {
	y, m, d := t.In(vietnam).Date()
	return Date{y, m, d}
}

// IsZero reports whether the date is absent.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns midnight of the date in Vietnam time.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, vietnam) }

// String formats the date as edXML writes it, or "" when absent.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d/%02d/%02d", d.Year, int(d.Month), d.Day)
}

// dateLayouts are the accepted date spellings; all but the first earn a warning.
var dateLayouts = []string{dateLayout, "02/01/2006", "2006-01-02"}

// parseDate reads a date; lenient reports a non-standard but recognised spelling.
func parseDate(s string) (d Date, lenient bool, err error) {
	if s == "" {
		return Date{}, false, nil
	}
	for i, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, s, vietnam); err == nil {
			return DateOf(t), i > 0, nil
		}
	}
	return Date{}, false, fmt.Errorf("%q is not a date (want yyyy/MM/dd)", s)
}

var timestampLayouts = []string{timestampLayout, "02/01/2006 15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05"}

// parseTimestamp reads a timestamp in Vietnam time.
func parseTimestamp(s string) (t time.Time, lenient bool, err error) {
	if s == "" {
		return time.Time{}, false, nil
	}
	for i, layout := range timestampLayouts {
		if t, err := time.ParseInLocation(layout, s, vietnam); err == nil {
			return t, i > 0, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%q is not a timestamp (want yyyy/MM/dd HH:mm:ss)", s)
}

func formatTimestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vietnam).Format(timestampLayout)
}

// MarshalText writes the date as yyyy/MM/dd (JSON build descriptions).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads yyyy/MM/dd (or the lenient spellings).
func (d *Date) UnmarshalText(text []byte) error {
	parsed, _, err := parseDate(string(text))
	if err == nil {
		*d = parsed
	}
	return err
}

// ParseDate reads a date written yyyy/MM/dd (dd/MM/yyyy and yyyy-MM-dd accepted).
func ParseDate(s string) (Date, error) {
	d, _, err := parseDate(s)
	return d, err
}
