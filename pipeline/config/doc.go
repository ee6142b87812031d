// Package config reads golden-path.yaml, the one file a service team edits:
// it parses and validates it once (Parse, Load, Read), fills the defaults,
// and reports every problem with its line, the setting and how to fix it.
// The namespace of an environment is a pure function of the config
// (Config.Namespace).
package config
