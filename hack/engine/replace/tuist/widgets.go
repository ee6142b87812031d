package tuist

import (
	"slices"
	"strings"
	"time"

	uv "github.com/charmbracelet/ultraviolet"
)

// Size is an overlay dimension: positive is absolute, 0 fills the screen.
type Size int

// SizeAbs is an absolute size in cells.
func SizeAbs(n int) Size { return Size(n) }

// Anchor is the screen corner an overlay is attached to.
type Anchor int

const (
	AnchorTopLeft Anchor = iota
	AnchorTopRight
)

// OverlayMargin is the space between an overlay and the screen edges.
type OverlayMargin struct{ Top, Right, Bottom, Left int }

// OverlayOptions places an overlay. Headless, only Width is used: overlays
// are rendered below the content rather than composited onto it.
type OverlayOptions struct {
	Width  Size
	Anchor Anchor
	Margin OverlayMargin
}

// OverlayHandle is a shown overlay.
type OverlayHandle struct {
	tui  *TUI
	comp Component
	opts OverlayOptions
}

func (h *OverlayHandle) width(screen int) int {
	if h.opts.Width > 0 {
		return int(h.opts.Width)
	}
	return screen
}

// ShowOverlay shows comp as an overlay, mounting it.
func (t *TUI) ShowOverlay(comp Component, opts *OverlayOptions) *OverlayHandle {
	h := &OverlayHandle{tui: t, comp: comp}
	if opts != nil {
		h.opts = *opts
	}
	t.overlays = append(t.overlays, h)
	t.mount(comp)
	return h
}

// Remove hides the overlay.
func (h *OverlayHandle) Remove() {
	if i := slices.Index(h.tui.overlays, h); i >= 0 {
		h.tui.overlays = slices.Delete(h.tui.overlays, i, i+1)
		h.tui.dismount(h.comp)
	}
}

// Spinner renders one animation frame, chosen by the time since Epoch.
type Spinner struct {
	Compo
	Frames   []string
	Interval time.Duration
	Epoch    time.Time
}

// NewSpinner returns a braille-dot spinner.
func NewSpinner() *Spinner {
	return &Spinner{Frames: strings.Split("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏", ""), Interval: 80 * time.Millisecond, Epoch: time.Now()}
}

// Render emits the current frame.
func (s *Spinner) Render(ctx Context) {
	if len(s.Frames) > 0 && s.Interval > 0 {
		ctx.Line(s.Frames[int(time.Since(s.Epoch)/s.Interval)%len(s.Frames)])
	}
}

// TextInput is a text field. Headless it gets no keystrokes: once mounted in
// a running TUI it prints a notice and its KeyInterceptor receives a single
// ctrl+d, i.e. end of input (so a shell exits instead of waiting forever).
type TextInput struct {
	Compo
	Prompt string
	// OnSubmit is called on enter; returning true clears the input.
	OnSubmit func(ctx Context, value string) bool
	// KeyInterceptor sees keys first; returning true consumes them.
	KeyInterceptor func(ctx Context, ev uv.KeyPressEvent) bool

	value string
}

// NewTextInput returns an input holding value.
func NewTextInput(value string) *TextInput { return &TextInput{value: value} }

// Value returns the text.
func (ti *TextInput) Value() string { return ti.value }

// SetValue replaces the text.
func (ti *TextInput) SetValue(v string) { ti.value = v }

// InsertRune appends r (the cursor is always at the end).
func (ti *TextInput) InsertRune(r rune) { ti.value += string(r) }

// Render emits the prompt and the text.
func (ti *TextInput) Render(ctx Context) { ctx.Lines(strings.Split(ti.Prompt+ti.value, "\n")...) }

// OnMount signals end of input, since the headless TUI reads no keyboard.
func (ti *TextInput) OnMount(ctx Context) {
	ctx.Dispatch(func() {
		ctx.tui.notice("interactive input is not available (no live terminal UI in this build); treating input as closed")
		if ti.KeyInterceptor != nil {
			ti.KeyInterceptor(ctx, uv.KeyPressEvent{Code: 'd', Mod: uv.ModCtrl})
		}
	})
}

// Completion is one completion candidate.
type Completion struct {
	Label  string // text to insert
	Detail string // short description
}

// CompletionResult lists candidates that replace the input from byte offset
// ReplaceFrom up to the cursor.
type CompletionResult struct {
	Items       []Completion
	ReplaceFrom int
}

// CompletionMenu would pop up completions for a TextInput; headless, it
// shows nothing and handles no keys.
type CompletionMenu struct {
	Compo
	Input    *TextInput
	Complete func(input string, cursorPos int) CompletionResult
}

// NewCompletionMenu attaches complete to input.
func NewCompletionMenu(input *TextInput, complete func(input string, cursorPos int) CompletionResult) *CompletionMenu {
	return &CompletionMenu{Input: input, Complete: complete}
}

// Render draws nothing.
func (*CompletionMenu) Render(Context) {}

// HandleKeyPress consumes nothing.
func (*CompletionMenu) HandleKeyPress(Context, uv.KeyPressEvent) bool { return false }
