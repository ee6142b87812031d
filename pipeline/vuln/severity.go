package vuln

import (
	"fmt"
	"strconv"
	"strings"
)

// Severity is how bad a vulnerability is, on Trivy's scale. The values are
// ordered: SeverityUnknown < SeverityLow < … < SeverityCritical. The zero
// value, SeverityUnknown, is the strictest gate threshold: everything blocks.
type Severity int

// Trivy's severities, lowest first.
const (
	SeverityUnknown Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

// severityNames are the names Trivy writes, indexed by Severity.
var severityNames = [...]string{"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// Severities lists every severity, most severe first, the order reports
// show them in.
func Severities() []Severity {
	return []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityUnknown}
}

// String returns the name Trivy writes, e.g. "CRITICAL".
func (s Severity) String() string {
	if s.valid() {
		return severityNames[s]
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText writes the name, as String does, so that JSON reads "CRITICAL", also as a map key.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("pipeline: %s is not a severity", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a name as ParseSeverity does.
func (s *Severity) UnmarshalText(text []byte) error {
	v, err := ParseSeverity(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

func (s Severity) valid() bool {
	return s >= SeverityUnknown && s <= SeverityCritical
}

// SeverityError is returned by ParseSeverity for a name that is not one of
// Trivy's severities.
type SeverityError struct {
	// Value is the name as given.
	Value string
}

// Error implements error.
func (e *SeverityError) Error() string {
	return fmt.Sprintf("%q is not a severity: use one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL", e.Value)
}

// ParseSeverity reads a severity name as Trivy writes it ("CRITICAL"); case
// and surrounding spaces are ignored. Anything else gives a *SeverityError.
func ParseSeverity(s string) (Severity, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	for i, n := range severityNames {
		if n == name {
			return Severity(i), nil
		}
	}
	return SeverityUnknown, &SeverityError{Value: s}
}
