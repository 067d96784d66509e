package synth

import (
	"math"
	"math/rand/v2"
)

// LesionSide is the height and width of a lesion image; 28 is MedMNIST's
// size, so the images train as fast as the public small-image benchmarks.
const LesionSide = 28

// LesionClasses are the class names in label order.
var LesionClasses = []string{"benign", "malignant"}

// Lesions is a set of synthetic grayscale skin-lesion patches: N images of
// LesionSide×LesionSide uint8 pixels, row-major, and one label per image
// (0 benign, 1 malignant).
type Lesions struct {
	N      int
	Pixels []uint8
	Labels []uint8
}

// Image returns image i's pixels.
func (l *Lesions) Image(i int) []uint8 {
	const px = LesionSide * LesionSide
	return l.Pixels[i*px : (i+1)*px]
}

// cue is a malignancy cue's range for benign and for malignant lesions. The
// ranges overlap, so each cue alone misclassifies some lesions (as borderline
// lesions are in clinic) and only their combination separates the classes
// well.
type cue struct{ benign, malignant [2]float64 }

// draw is a value of the cue for the class.
func (c cue) draw(rng *rand.Rand, malignant bool) float64 {
	r := c.benign
	if malignant {
		r = c.malignant
	}
	return r[0] + (r[1]-r[0])*rng.Float64()
}

// The cues: border irregularity (amplitude of each of the border's harmonics 3…7,
// relative to the radius), dark globules (how many), and asymmetry (how far
// off centre a darker blotch sits, relative to the radius).
var (
	irregularityCue = cue{[2]float64{0, 0.045}, [2]float64{0.04, 0.13}}
	globulesCue     = cue{[2]float64{0, 2.5}, [2]float64{2, 7}}
	asymmetryCue    = cue{[2]float64{0, 0.22}, [2]float64{0.2, 0.65}}
)

// GenerateLesions returns n synthetic lesion images, as near half of each
// class as n allows. Size, position, contrast, skin tone, illumination,
// noise and hairs are drawn from the same distributions for both classes,
// so no global statistic gives the label away; only the shape and texture
// of the lesion do. The same (n, seed) always gives the same images.
func GenerateLesions(n int, seed uint64) *Lesions {
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	l := &Lesions{N: n, Pixels: make([]uint8, n*LesionSide*LesionSide), Labels: make([]uint8, n)}
	for i := n / 2; i < n; i++ {
		l.Labels[i] = 1
	}
	rng.Shuffle(n, func(i, j int) { l.Labels[i], l.Labels[j] = l.Labels[j], l.Labels[i] })
	img := make([]float64, LesionSide*LesionSide)
	for i := range n {
		drawLesion(rng, img, l.Labels[i] == 1)
		out := l.Image(i)
		for p, v := range img {
			out[p] = uint8(math.Round(255 * math.Min(1, math.Max(0, v))))
		}
	}
	return l
}

// lesionHarmonics are the border's angular harmonics (3…7) that irregularity
// roughens; harmonic 2 (an ellipse) is drawn for every lesion instead.
const lesionHarmonics = 5

// globule is a small dark dot inside the lesion.
type globule struct{ x, y, depth float64 }

// hair is a thin dark line across the patch: a point on it, its direction
// and its darkness.
type hair struct{ x, y, dx, dy, depth float64 }

// lesion is one image's drawn parameters.
type lesion struct {
	skin, gradient, gradX, gradY float64 // skin tone and illumination
	cx, cy, radius, contrast     float64
	ellipse, ellipsePhase        float64
	amp, phase                   [lesionHarmonics]float64 // harmonics 3…7
	blotchX, blotchY, blotch     float64                  // off-centre darker region (asymmetry)
	globules                     []globule
	hairs                        []hair
	noise                        float64
}

// drawLesion fills img with one lesion of the class.
func drawLesion(rng *rand.Rand, img []float64, malignant bool) {
	p := newLesion(rng, malignant)
	for y := range LesionSide {
		for x := range LesionSide {
			img[y*LesionSide+x] = p.pixel(float64(x), float64(y)) + p.noise*rng.NormFloat64()
		}
	}
}

func newLesion(rng *rand.Rand, malignant bool) *lesion {
	uniform := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	angle := uniform(0, 2*math.Pi)
	p := &lesion{
		skin: uniform(0.55, 0.85), gradient: uniform(0, 0.12), gradX: math.Cos(angle), gradY: math.Sin(angle),
		cx: uniform(10, 18), cy: uniform(10, 18), radius: uniform(4.5, 8.5), contrast: uniform(0.2, 0.45),
		ellipse: uniform(0, 0.18), ellipsePhase: uniform(0, math.Pi),
		noise: uniform(0.015, 0.05),
	}
	irregularity := irregularityCue.draw(rng, malignant)
	for k := range p.amp {
		p.amp[k] = irregularity * uniform(0.5, 1.5)
		p.phase[k] = uniform(0, 2*math.Pi)
	}
	off, shift := uniform(0, 2*math.Pi), asymmetryCue.draw(rng, malignant)*p.radius
	p.blotchX, p.blotchY = p.cx+shift*math.Cos(off), p.cy+shift*math.Sin(off)
	p.blotch = uniform(0.08, 0.2)
	for range int(globulesCue.draw(rng, malignant)) {
		a, r := uniform(0, 2*math.Pi), p.radius*math.Sqrt(rng.Float64())*0.85
		p.globules = append(p.globules, globule{p.cx + r*math.Cos(a), p.cy + r*math.Sin(a), uniform(0.1, 0.22)})
	}
	if rng.IntN(4) == 0 { // a quarter of patches have one or two hairs, whatever the class
		for range 1 + rng.IntN(2) {
			a := uniform(0, math.Pi)
			p.hairs = append(p.hairs, hair{uniform(0, LesionSide), uniform(0, LesionSide), math.Cos(a), math.Sin(a), uniform(0.15, 0.35)})
		}
	}
	return p
}

// border is the lesion's radius in direction theta.
func (p *lesion) border(theta float64) float64 {
	r := 1 + p.ellipse*math.Cos(2*(theta-p.ellipsePhase))
	for k, a := range p.amp {
		r += a * math.Cos(float64(k+3)*theta+p.phase[k])
	}
	return p.radius * r
}

// pixel is the noiseless intensity at (x, y): skin under a linear
// illumination gradient, darkened by the lesion with a soft edge, its
// off-centre blotch, globules and hairs.
func (p *lesion) pixel(x, y float64) float64 {
	c := float64(LesionSide-1) / 2
	v := p.skin + p.gradient*((x-c)*p.gradX+(y-c)*p.gradY)/c
	dx, dy := x-p.cx, y-p.cy
	inside := sigmoid((p.border(math.Atan2(dy, dx)) - math.Hypot(dx, dy)) / 0.7)
	v -= p.contrast * inside
	v -= p.blotch * inside * math.Exp(-((x-p.blotchX)*(x-p.blotchX)+(y-p.blotchY)*(y-p.blotchY))/(2*p.radius*p.radius/4))
	for _, g := range p.globules {
		v -= g.depth * math.Exp(-((x-g.x)*(x-g.x)+(y-g.y)*(y-g.y))/(2*0.6*0.6))
	}
	for _, h := range p.hairs {
		d := math.Abs((x-h.x)*h.dy - (y-h.y)*h.dx) // distance from the line
		v -= h.depth * math.Exp(-d*d/(2*0.4*0.4))
	}
	return v
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
