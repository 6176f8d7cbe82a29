package sqlite

import (
	"fmt"
	"math"
	"time"
)

// The instants an int64 count of nanoseconds since 1970 UTC can hold:
// 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z.
var (
	minStorableTime = time.Unix(0, math.MinInt64)
	maxStorableTime = time.Unix(0, math.MaxInt64)
)

// encodeTime splits t into nanoseconds since 1970 UTC and the UTC offset in
// seconds of its location at that instant.
func encodeTime(t time.Time) (ns int64, offset int64, err error) {
	if t.Before(minStorableTime) || t.After(maxStorableTime) {
		return 0, 0, fmt.Errorf("event time %s is outside the storable range %s to %s",
			t.Format(time.RFC3339Nano), minStorableTime.UTC().Format(time.RFC3339Nano),
			maxStorableTime.UTC().Format(time.RFC3339Nano))
	}
	_, off := t.Zone()
	return t.UnixNano(), int64(off), nil
}

// decodeTime rebuilds the time encodeTime split. Offset 0 returns a time in
// time.UTC, so that it formats with "Z". Any other offset returns a time in
// an unnamed fixed zone, which formats as "+hh:mm"; the zone name of the
// original location is not kept.
func decodeTime(ns, offset int64) time.Time {
	t := time.Unix(0, ns)
	if offset == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", int(offset)))
}
