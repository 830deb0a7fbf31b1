package signing

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
)

// FontDirs are searched, in order, for the TrueType fonts of the appearance images.
// Liberation Serif is metrically compatible with Times New Roman, the face Nghị định
// 30 prescribes; DejaVu Serif is the fallback. Both cover Vietnamese. Debian ships
// them as fonts-liberation2 and fonts-dejavu-core (scripts/install-deps.sh).
var FontDirs = []string{"/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation", "/usr/share/fonts/truetype/dejavu"}

type fontStyle int

const (
	regular fontStyle = iota
	bold
	italic
)

var fontFiles = map[fontStyle][]string{
	regular: {"LiberationSerif-Regular.ttf", "DejaVuSerif.ttf"},
	bold:    {"LiberationSerif-Bold.ttf", "DejaVuSerif-Bold.ttf"},
	italic:  {"LiberationSerif-Italic.ttf", "DejaVuSerif-Italic.ttf"},
}

var (
	fontsOnce   sync.Once
	loadedFonts map[fontStyle]*opentype.Font
	fontData    map[fontStyle][]byte // the files themselves, embedded in the stamp's text
	fontsErr    error
)

// ErrNoFont means none of the fonts the appearance images need could be found.
var ErrNoFont = errors.New("signing: no Unicode serif font found (install fonts-liberation2 or fonts-dejavu-core)")

func loadFonts() (map[fontStyle]*opentype.Font, error) {
	fontsOnce.Do(func() {
		loadedFonts = map[fontStyle]*opentype.Font{}
		fontData = map[fontStyle][]byte{}
		for style, names := range fontFiles {
			f, data, err := findFont(names)
			if err != nil {
				fontsErr = err
				return
			}
			loadedFonts[style], fontData[style] = f, data
		}
	})
	return loadedFonts, fontsErr
}

func findFont(names []string) (*opentype.Font, []byte, error) {
	for _, name := range names {
		for _, dir := range FontDirs {
			data, err := os.ReadFile(dir + "/" + name)
			if err != nil {
				continue
			}
			f, err := opentype.Parse(data)
			if err != nil {
				return nil, nil, fmt.Errorf("signing: parse font %s: %w", name, err)
			}
			return f, data, nil
		}
	}
	return nil, nil, ErrNoFont
}

// face returns a face of the style at size pixels (em height).
func face(style fontStyle, px float64) (font.Face, error) {
	fonts, err := loadFonts()
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(fonts[style], &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingNone})
}
