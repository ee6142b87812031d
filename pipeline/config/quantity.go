package config

import (
	"math/big"
	"strconv"
	"strings"
)

// quantity is a parsed Kubernetes resource quantity such as "100m", "0.5",
// "128Mi" or "1e3".
type quantity struct {
	// value is the amount in base units: cores for CPU, bytes for memory.
	value *big.Rat
	// suffix is the unit suffix as written ("", "m", "Mi", "e3", ...).
	suffix string
}

// Multipliers of the suffixes Kubernetes accepts.
var quantitySuffixes = map[string]*big.Rat{
	"":   big.NewRat(1, 1),
	"n":  big.NewRat(1, 1_000_000_000),
	"u":  big.NewRat(1, 1_000_000),
	"m":  big.NewRat(1, 1_000),
	"k":  big.NewRat(1_000, 1),
	"M":  big.NewRat(1_000_000, 1),
	"G":  big.NewRat(1_000_000_000, 1),
	"T":  big.NewRat(1_000_000_000_000, 1),
	"P":  big.NewRat(1_000_000_000_000_000, 1),
	"E":  big.NewRat(1_000_000_000_000_000_000, 1),
	"Ki": big.NewRat(1<<10, 1),
	"Mi": big.NewRat(1<<20, 1),
	"Gi": big.NewRat(1<<30, 1),
	"Ti": big.NewRat(1<<40, 1),
	"Pi": big.NewRat(1<<50, 1),
	"Ei": big.NewRat(1<<60, 1),
}

// parseQuantity parses s in the Kubernetes quantity syntax:
//
//	<quantity> ::= <sign>? <digits> ( "." <digits>? )? <suffix> | <sign>? "." <digits> <suffix>
//	<suffix>   ::= "" | n | u | m | k | M | G | T | P | E       (decimal)
//	             | Ki | Mi | Gi | Ti | Pi | Ei                  (binary)
//	             | ( e | E ) <sign>? <digits>                   (exponent)
//
// It reports false when s is not a quantity.
func parseQuantity(s string) (quantity, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	digits := i - intStart
	if i < len(s) && s[i] == '.' {
		i++
		fracStart := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		digits += i - fracStart
	}
	if digits == 0 {
		return quantity{}, false
	}
	number, suffix := s[:i], s[i:]

	num, ok := new(big.Rat).SetString(normalizeDecimal(number))
	if !ok {
		return quantity{}, false
	}
	mult, ok := quantitySuffixes[suffix]
	if !ok {
		mult, ok = exponentMultiplier(suffix)
		if !ok {
			return quantity{}, false
		}
	}
	return quantity{value: num.Mul(num, mult), suffix: suffix}, true
}

// normalizeDecimal makes "5." and ".5" (valid quantities) acceptable to
// big.Rat.SetString.
func normalizeDecimal(s string) string {
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	}
	if strings.HasSuffix(s, ".") {
		s += "0"
	}
	if sign == "-" {
		return "-" + s
	}
	return s
}

// exponentMultiplier returns 10^x for a suffix "eX" or "EX".
func exponentMultiplier(suffix string) (*big.Rat, bool) {
	if len(suffix) < 2 || (suffix[0] != 'e' && suffix[0] != 'E') {
		return nil, false
	}
	exp := suffix[1:]
	digits := strings.TrimLeft(exp, "+-")
	if len(exp)-len(digits) > 1 || digits == "" {
		return nil, false
	}
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return nil, false
		}
	}
	x, err := strconv.Atoi(exp)
	if err != nil || x > 100 || x < -100 {
		return nil, false
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(x))), nil)
	if x < 0 {
		return new(big.Rat).SetFrac(big.NewInt(1), p), true
	}
	return new(big.Rat).SetInt(p), true
}

// isBinarySuffix reports whether suffix is a power-of-two unit (Ki, Mi...),
// which measures bytes.
func isBinarySuffix(suffix string) bool {
	return len(suffix) == 2 && suffix[1] == 'i'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
