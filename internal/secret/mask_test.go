package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMask(t *testing.T) {
	const pw = "Zq7#Secret-Pw9"
	tests := []struct {
		name    string
		text    string
		secrets []string
		want    string
	}{
		{"as sent on the wire", "password Zq7%23Secret-Pw9 does not conform", []string{pw}, "password ******** does not conform"},
		{"as is", "password Zq7#Secret-Pw9 does not conform", []string{pw}, "password ******** does not conform"},
		{"lower-case hex", "password=Zq7%23secret", []string{"Zq7#secret"}, "password=********"},
		{"percent-encoded letters", "Zq7%23%53ecret-Pw9", []string{pw}, "********"},
		{"form space", "pw=Zq7+Secret%239&x=1", []string{"Zq7 Secret#9"}, "pw=********&x=1"},
		{"path space", "pw=Zq7%20Secret%239", []string{"Zq7 Secret#9"}, "pw=********"},
		{"form plus", "pw=Zq7%2bSecret%2B9", []string{"Zq7+Secret+9"}, "pw=********"},
		{"json of a quote and a backslash", `{"message":"bad Pw\"q\\9x1"}`, []string{`Pw"q\9x1`}, `{"message":"bad ********"}`},
		{"json html-safe escapes", `bad Pw\u003ca\u0026b\u003e1`, []string{"Pw<a&b>1"}, "bad ********"},
		{"json upper-case escapes", `bad Pw\u003Ca\u0026b\u003E1`, []string{"Pw<a&b>1"}, "bad ********"},
		{"json slash", `bad Pw\/a\/b12`, []string{"Pw/a/b12"}, "bad ********"},
		{"json non-ascii", `bad P\u00e4ssw\u00F6rd1`, []string{"Pässwörd1"}, "bad ********"},
		{"json surrogate pair", `bad Pw\ud83d\ude00123`, []string{"Pw😀123"}, "bad ********"},
		{"html", "bad Pw&lt;a&amp;b&gt;&#34;&#39;1", []string{`Pw<a&b>"'1`}, "bad ********"},
		{"html other quote forms", "bad Pw&quot;&#x27;&#039;&apos;&AMP;1", []string{`Pw"'''&1`}, "bad ********"},
		{"html numeric letters", "bad &#80;&#x77;-secret1", []string{"Pw-secret1"}, "bad ********"},
		{"non-ascii form-encoded", "bad P%C3%A4ssw%c3%b6rd1", []string{"Pässwörd1"}, "bad ********"},
		{"form then json", `{"message":"bad Zq7%23Secret-Pw9"}`, []string{pw}, `{"message":"bad ********"}`},
		{"json then form", "bad Pw%5C%22q9x1", []string{`Pw"q9x1`}, "bad ********"},
		{"form twice", "bad Zq7%2523Secret-Pw9", []string{pw}, "bad ********"},
		{"json twice", `bad Pw\\\"q9x1`, []string{`Pw"q9x1`}, "bad ********"},
		{"html then json", `bad Pw\u0026amp;q9x1`, []string{"Pw&q9x1"}, "bad ********"},
		{"json then html", `bad Pw\&#34;q9x1`, []string{`Pw"q9x1`}, "bad ********"},
		{"html then form", "bad Pw%26amp%3Bq9x1", []string{"Pw&q9x1"}, "bad ********"},
		{"every occurrence", "Zq7#Secret-Pw9 or Zq7%23Secret-Pw9 or Zq7%2523Secret-Pw9", []string{pw}, "******** or ******** or ********"},
		{"two secrets", "a=Secret-One1 b=Secret-Two2", []string{"Secret-One1", "Secret-Two2"}, "a=******** b=********"},
		{"overlapping secrets", "x Secret-One1-Two2 y", []string{"Secret-One1", "One1-Two2"}, "x ******** y"},
		{"a part is no occurrence", "Zq7%23Secret-Pw", []string{pw}, "Zq7%23Secret-Pw"},
		{"a broken escape is no occurrence", "Zq7%2Secret-Pw9", []string{pw}, "Zq7%2Secret-Pw9"},
		{"no secret", "nothing to hide", []string{pw}, "nothing to hide"},
		{"empty secret", "nothing to hide", []string{""}, "nothing to hide"},
		{"no secrets", "nothing to hide", nil, "nothing to hide"},
		{"empty text", "", []string{pw}, ""},
		{"a secret that ends with the mask's byte", "abab**", []string{"ab**"}, "**************"},
		{"not utf-8", `bad Pw\ufffd1234`, []string{"Pw\xff1234"}, "bad ********"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mask(tt.text, tt.secrets...); got != tt.want {
				t.Errorf("Mask(%q, %q) = %q, want %q", tt.text, tt.secrets, got, tt.want)
			}
		})
	}
}

// encodings returns the encodings of s an echo may take, one layer and two: those of the
// standard library's encoders, with lower-case percent hex and other spellings of quotes.
func encodings(s string) []string {
	one := []func(string) string{
		url.QueryEscape, url.PathEscape,
		func(s string) string { return lowerHex(url.QueryEscape(s)) },
		func(s string) string { return lowerHex(url.PathEscape(s)) },
		func(s string) string { return jsonText(s, true) },
		func(s string) string { return jsonText(s, false) },
		html.EscapeString,
		strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;").Replace,
	}
	out := []string{s}
	for _, f := range one {
		out = append(out, f(s))
		for _, g := range one {
			out = append(out, g(f(s)))
		}
	}
	return out
}

// jsonText returns s as json.Marshal writes it, without the quotes.
func jsonText(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// lowerHex writes the hex digits of percent escapes in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = lower(b[i+1])
			b[i+2] = lower(b[i+2])
		}
	}
	return string(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// TestEncodingsAreMasked: every encoding of a few passwords, in a text that holds them all,
// is masked.
func TestEncodingsAreMasked(t *testing.T) {
	for _, pw := range []string{"Zq7#Secret-Pw9", `Pw"<&>'\/ +%9`, "Pässwörd 😀1", "Pw*ab**"} {
		encs := encodings(pw)
		text := "answer: " + strings.Join(encs, " | ") + " end"
		got := Mask(text, pw)
		for _, e := range encs {
			if strings.Contains(got, e) {
				t.Errorf("Mask of %q left the encoding %q in %q", pw, e, got)
			}
		}
		if !strings.HasPrefix(got, "answer: ********") || !strings.HasSuffix(got, " end") {
			t.Errorf("Mask of %q = %q, want the text around the secrets kept", pw, got)
		}
	}
}

func FuzzMask(f *testing.F) {
	f.Add("Zq7#Secret-Pw9", "password ", " is weak")
	f.Add(`Pw"<&>'\/ +%9`, `{"message":"`, `"}`)
	f.Add("Pässwörd 😀1", "&amp;", "%")
	f.Add("ab**", "ab", "**")
	f.Add("Pw\xff\xfe12", `\`, "&#")
	f.Fuzz(func(t *testing.T, secret, prefix, sep string) {
		if utf8.RuneCountInString(secret) < 4 || onlyMask(secret) {
			// A secret made of "*" alone reads the same as the mask.
			t.Skip()
		}
		encs := encodings(secret)
		text := prefix + strings.Join(encs, sep) + sep
		got := Mask(text, secret)
		for _, e := range encs {
			if strings.Contains(got, e) {
				t.Fatalf("Mask(%q, %q) = %q: the encoding %q is left", text, secret, got, e)
			}
		}
		if again := Mask(got, secret); again != got {
			t.Fatalf("Mask is not stable: %q, then %q", got, again)
		}
	})
}

func TestMaskError(t *testing.T) {
	const pw = "Zq7#Secret-Pw9"
	if got := MaskError(nil, pw); got != nil {
		t.Errorf("MaskError(nil) = %v, want nil", got)
	}
	plain := errors.New("nothing to hide")
	if got := MaskError(plain, pw); got != plain {
		t.Errorf("MaskError of an error without the secret = %v, want the error itself", got)
	}
	inner := &fs.PathError{Op: "open", Path: "Zq7%23Secret-Pw9", Err: fs.ErrNotExist}
	err := fmt.Errorf("read answer: %w", inner)
	got := MaskError(err, pw)
	if want := "read answer: open ********: file does not exist"; got.Error() != want {
		t.Errorf("MaskError text = %q, want %q", got, want)
	}
	if !errors.Is(got, fs.ErrNotExist) {
		t.Errorf("errors.Is does not see through MaskError")
	}
	var pe *fs.PathError
	if errors.As(got, &pe) {
		t.Errorf("errors.As reaches the error that holds the secret: %v", pe)
	}
}
