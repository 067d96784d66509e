package dicomtest

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/frame"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Formats the generator cycles through, one per image.
const (
	FormatU16Rescale = "u16-rescale"   // 12 bits stored in 16, slope 1, intercept -1024, explicit LE (CT)
	FormatU8         = "u8"            // 8-bit MONOCHROME2
	FormatS16        = "s16-implicit"  // signed 16-bit, implicit VR LE, slope 2
	FormatBigEndian  = "u16-bigendian" // explicit VR big endian
	FormatMono1      = "mono1"         // MONOCHROME1 16-bit (inverted on read)
	FormatRGB        = "rgb"           // 8-bit RGB, planar configuration 0
	FormatJPEG       = "jpeg"          // 8-bit grey JPEG baseline (lossy)
	FormatU32        = "u32"           // 32-bit unsigned
)

var formats = []string{FormatU16Rescale, FormatU8, FormatS16, FormatBigEndian, FormatMono1, FormatRGB, FormatJPEG, FormatU32}

// Config of a corpus.
type Config struct {
	Patients          int    // default 12
	StudiesPerPatient int    // default 2
	ImagesPerSeries   int    // default 2 (one series per study)
	Size              int    // rows = columns, default 64
	BurnedIn          bool   // one image with BurnedInAnnotation YES
	DICOMDIR          bool   // write a DICOMDIR listing the images
	Seed              uint64 // of the identifying values and pixels
}

// File is the truth about one image file written.
type File struct {
	PatientID    string // the original (an NHS number)
	Label        int    // from labels.csv
	Format       string
	Study        string // original UIDs
	Series       string
	SOP          string
	StudyDate    string // original YYYYMMDD
	BurnedIn     bool
	Rows, Cols   int
	Values       []float64 // modality values of the frame written (after rescale; RGB as luminance), row-major
	Monochrome1  bool
	Lossy        bool   // JPEG: Values are before compression
	PrivateValue string // (0009,1002), a technical private value tests may keep
}

// Truth is what Write wrote.
type Truth struct {
	PHI      []string        // every identifying string written (sorted, unique)
	UIDs     []string        // every original instance UID written
	Files    map[string]File // by slash path relative to dir
	NonDICOM []string        // files without the DICM preamble
	Labels   map[string]int  // by original PatientID
}

// Write writes a corpus under dir (created if missing) and returns its
// truth.
func Write(dir string, cfg Config) (Truth, error) {
	if cfg.Patients <= 0 {
		cfg.Patients = 12
	}
	if cfg.StudiesPerPatient <= 0 {
		cfg.StudiesPerPatient = 2
	}
	if cfg.ImagesPerSeries <= 0 {
		cfg.ImagesPerSeries = 2
	}
	if cfg.Size <= 0 {
		cfg.Size = 64
	}
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), phi: map[string]bool{},
		truth: Truth{Files: map[string]File{}, Labels: map[string]int{}}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Truth{}, err
	}
	var labels strings.Builder
	labels.WriteString("patient_id,label\n")
	img := 0
	var records [][]string
	for p := 0; p < cfg.Patients; p++ {
		pt := g.patient(p)
		g.truth.Labels[pt.id] = p % 2
		fmt.Fprintf(&labels, "%s,%d\n", pt.id, p%2)
		for s := 0; s < cfg.StudiesPerPatient; s++ {
			st := g.study(pt, s)
			seriesUID := g.uid()
			var prevSOP string
			for i := 0; i < cfg.ImagesPerSeries; i++ {
				rel := fmt.Sprintf("P%02d/ST%02d/SE01/IM%04d", p+1, s+1, i+1)
				f := File{PatientID: pt.id, Label: p % 2, Format: formats[img%len(formats)],
					Study: st.uid, Series: seriesUID, SOP: g.uid(), StudyDate: st.date,
					BurnedIn: cfg.BurnedIn && img == 3, Rows: cfg.Size, Cols: cfg.Size}
				ds, err := g.image(pt, st, &f, prevSOP, img)
				if err != nil {
					return Truth{}, fmt.Errorf("dicomtest: %s: %w", rel, err)
				}
				if err := writeFile(filepath.Join(dir, filepath.FromSlash(rel)), ds); err != nil {
					return Truth{}, fmt.Errorf("dicomtest: %s: %w", rel, err)
				}
				g.truth.Files[rel] = f
				g.truth.UIDs = append(g.truth.UIDs, f.Study, f.Series, f.SOP)
				records = append(records, strings.Split(rel, "/"))
				prevSOP = f.SOP
				img++
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "labels.csv"), []byte(labels.String()), 0o644); err != nil {
		return Truth{}, err
	}
	readme := "Export from PACS for the chest X-ray project.\n"
	if err := os.WriteFile(filepath.Join(dir, "README.txt"), []byte(readme), 0o644); err != nil {
		return Truth{}, err
	}
	g.truth.NonDICOM = []string{"README.txt", "labels.csv"}
	if cfg.DICOMDIR {
		if err := writeDICOMDIR(filepath.Join(dir, "DICOMDIR"), records, g.uid()); err != nil {
			return Truth{}, err
		}
	}
	for s := range g.phi {
		g.truth.PHI = append(g.truth.PHI, s)
	}
	sort.Strings(g.truth.PHI)
	return g.truth, nil
}

type gen struct {
	cfg   Config
	rng   *rand.Rand
	phi   map[string]bool
	truth Truth
	n     int
}

// note records an identifying value and returns it.
func (g *gen) note(s string) string {
	g.phi[s] = true
	return s
}

func (g *gen) uid() string {
	g.n++
	return fmt.Sprintf("1.2.826.0.1.3680043.10.543.%d.%d", g.cfg.Seed%1000, g.n)
}

type patient struct {
	id, name, birth, address, postcode, phone, other, mother string
	sex, age                                                 string
}

var (
	surnames = []string{"OKONKWO", "FITZGERALD", "MACALLISTER", "BRAITHWAITE", "PATELNAIK", "WHITTINGHAM", "ABERNATHY", "CHAUDHRY", "LLEWELLYN", "ROSSITER", "KOWALCZYK", "PEMBERTON", "ACHTERBERG", "DUNWOODY"}
	givens   = []string{"ADAEZE", "SIOBHAN", "HAMISH", "GRACE", "PRIYANKA", "ALGERNON", "MAUD", "FARHAN", "RHIANNON", "TOBIAS", "AGNIESZKA", "CORNELIUS", "WILHELMINA", "EUSTACE"}
	streets  = []string{"Acacia Avenue", "Wellington Road", "Harehills Lane", "Prospect Terrace", "Chapel Allerton Rise"}
	towns    = []string{"Leeds", "Bradford", "Wakefield", "Harrogate", "Halifax"}
	codes    = []string{"LS7 4PD", "BD9 6RJ", "WF1 2TE", "HG2 8QN", "HX3 0AB"}
)

// nhsNumber returns a random 10-digit NHS number passing the modulus 11
// check.
func (g *gen) nhsNumber() string {
	for {
		var d [10]int
		sum := 0
		for i := 0; i < 9; i++ {
			d[i] = g.rng.IntN(10)
			sum += d[i] * (10 - i)
		}
		c := 11 - sum%11
		if c == 10 {
			continue
		}
		if c == 11 {
			c = 0
		}
		d[9] = c
		var b strings.Builder
		for _, x := range d {
			b.WriteByte(byte('0' + x))
		}
		if s := b.String(); s != strings.Repeat(s[:1], 10) {
			return s
		}
	}
}

func (g *gen) patient(p int) patient {
	i := p % len(surnames)
	pt := patient{
		id:       g.note(g.nhsNumber()),
		name:     g.note(surnames[i] + "^" + givens[(i+p/len(surnames))%len(givens)]),
		birth:    g.note(fmt.Sprintf("19%02d%02d%02d", 30+g.rng.IntN(60), 1+g.rng.IntN(12), 2+g.rng.IntN(27))),
		address:  g.note(fmt.Sprintf("%d %s, %s", 2+g.rng.IntN(180), streets[p%len(streets)], towns[p%len(towns)])),
		postcode: g.note(codes[p%len(codes)]),
		phone:    g.note(fmt.Sprintf("0113 496 %04d", g.rng.IntN(10000))),
		other:    g.note(fmt.Sprintf("RR%07d", g.rng.IntN(10000000))),
		mother:   g.note(surnames[(i+3)%len(surnames)] + "^" + givens[(i+5)%len(givens)]),
		sex:      []string{"F", "M"}[p%2],
		age:      fmt.Sprintf("%03dY", 20+g.rng.IntN(70)),
	}
	g.note(strings.ReplaceAll(pt.name, "^", " "))
	return pt
}

type study struct {
	uid, date, time, accession, referrer, institution, instAddress, station, serial, physician, operator, requestID string
}

func (g *gen) study(pt patient, s int) study {
	return study{
		uid:         g.uid(),
		date:        g.note(fmt.Sprintf("20%02d%02d%02d", 15+g.rng.IntN(9), 1+g.rng.IntN(12), 2+g.rng.IntN(27))), // day 2..28: never the year reduction's 0101
		time:        fmt.Sprintf("%02d%02d%02d", 8+g.rng.IntN(10), g.rng.IntN(60), g.rng.IntN(60)),
		accession:   g.note(fmt.Sprintf("RAD%08d", g.rng.IntN(100000000))),
		referrer:    g.note("DR^" + surnames[(s+7)%len(surnames)] + "^ADRIAN"),
		institution: g.note([]string{"St James's University Hospital", "Airedale General Hospital"}[s%2]),
		instAddress: g.note([]string{"Beckett Street, Leeds LS9 7TF", "Skipton Road, Keighley BD20 6TD"}[s%2]),
		station:     g.note(fmt.Sprintf("SJUH-XR%02d", 1+g.rng.IntN(20))),
		serial:      g.note(fmt.Sprintf("SN%06d", g.rng.IntN(1000000))),
		physician:   g.note("PERFORMER^" + givens[(s+2)%len(givens)]),
		operator:    g.note("RADIOGRAPHER^" + givens[(s+4)%len(givens)]),
		requestID:   g.note(fmt.Sprintf("REQ%06d", g.rng.IntN(1000000))),
	}
}

func el(t tag.Tag, v any) *dcm.Element {
	e, err := dcm.NewElement(t, v)
	if err != nil {
		panic(fmt.Sprintf("dicomtest: %v: %v", t, err))
	}
	return e
}

func private(t tag.Tag, vr string, v any) *dcm.Element {
	val, err := dcm.NewValue(v)
	if err != nil {
		panic(err)
	}
	return &dcm.Element{Tag: t, ValueRepresentation: tag.GetVRKind(t, vr), RawValueRepresentation: vr, Value: val}
}

func tg(g, e uint16) tag.Tag { return tag.Tag{Group: g, Element: e} }

const (
	sopClassCR = "1.2.840.10008.5.1.4.1.1.1"
	sopClassSC = "1.2.840.10008.5.1.4.1.1.7"
)

// image builds one file's data set.
func (g *gen) image(pt patient, st study, f *File, prevSOP string, idx int) (dcm.Dataset, error) {
	ts := "1.2.840.10008.1.2.1"
	switch f.Format {
	case FormatS16:
		ts = "1.2.840.10008.1.2"
	case FormatBigEndian:
		ts = "1.2.840.10008.1.2.2"
	case FormatJPEG:
		ts = "1.2.840.10008.1.2.4.50"
	}
	f.PrivateValue = fmt.Sprintf("KVP-%d", 60+idx%40)
	birth := pt.birth
	elems := []*dcm.Element{
		el(tag.FileMetaInformationVersion, []byte{0, 1}),
		el(tag.MediaStorageSOPClassUID, []string{sopClassCR}),
		el(tag.MediaStorageSOPInstanceUID, []string{f.SOP}),
		el(tag.TransferSyntaxUID, []string{ts}),
		el(tag.ImplementationClassUID, []string{"1.2.826.0.1.3680043.10.543.1"}),
		el(tag.SpecificCharacterSet, []string{"ISO_IR 100"}),
		el(tag.ImageType, []string{"ORIGINAL", "PRIMARY"}),
		el(tag.InstanceCreationDate, []string{st.date}),
		el(tag.InstanceCreationTime, []string{st.time}),
		el(tag.SOPClassUID, []string{sopClassCR}),
		el(tag.SOPInstanceUID, []string{f.SOP}),
		el(tag.StudyDate, []string{st.date}),
		el(tag.SeriesDate, []string{st.date}),
		el(tag.AcquisitionDate, []string{st.date}),
		el(tag.ContentDate, []string{st.date}),
		el(tag.StudyTime, []string{st.time}),
		el(tag.SeriesTime, []string{st.time}),
		el(tag.AcquisitionTime, []string{st.time}),
		el(tag.ContentTime, []string{st.time}),
		el(tag.AccessionNumber, []string{st.accession}),
		el(tag.Modality, []string{"CR"}),
		el(tag.Manufacturer, []string{"ACME Imaging"}),
		el(tag.InstitutionName, []string{st.institution}),
		el(tag.InstitutionAddress, []string{st.instAddress}),
		el(tag.ReferringPhysicianName, []string{st.referrer}),
		el(tag.ReferringPhysicianTelephoneNumbers, []string{g.note("0113 243 " + fmt.Sprintf("%04d", idx))}),
		el(tag.StationName, []string{st.station}),
		el(tag.StudyDescription, []string{g.note("CHEST PA for " + strings.ReplaceAll(pt.name, "^", " "))}),
		el(tag.SeriesDescription, []string{"PA"}),
		el(tag.InstitutionalDepartmentName, []string{g.note("Radiology Dept " + st.station)}),
		el(tag.PhysiciansOfRecord, []string{g.note("RECORD^" + givens[idx%len(givens)])}),
		el(tag.PerformingPhysicianName, []string{st.physician}),
		el(tag.NameOfPhysiciansReadingStudy, []string{g.note("READER^" + givens[(idx+1)%len(givens)])}),
		el(tag.OperatorsName, []string{st.operator}),
		el(tag.ManufacturerModelName, []string{"DR-9000"}),
		el(tag.ReferencedStudySequence, [][]*dcm.Element{{
			el(tag.ReferencedSOPClassUID, []string{"1.2.840.10008.3.1.2.3.1"}),
			el(tag.ReferencedSOPInstanceUID, []string{st.uid}),
		}}),
		el(tag.PatientName, []string{pt.name}),
		el(tag.PatientID, []string{pt.id}),
		el(tag.IssuerOfPatientID, []string{"NHS"}),
		el(tag.PatientBirthDate, []string{birth}),
		el(tag.PatientSex, []string{pt.sex}),
		el(tag.OtherPatientIDs, []string{pt.other}),
		el(tag.OtherPatientNames, []string{g.note(strings.Split(pt.name, "^")[0] + "^MAIDEN")}),
		el(tag.OtherPatientIDsSequence, [][]*dcm.Element{{
			el(tag.PatientID, []string{pt.other}),
			el(tag.IssuerOfPatientID, []string{"LTHT"}),
		}}),
		el(tag.PatientAge, []string{pt.age}),
		el(tag.PatientSize, []string{"1.72"}),
		el(tag.PatientWeight, []string{"81"}),
		el(tag.PatientAddress, []string{pt.address + ", " + pt.postcode}),
		el(tag.PatientMotherBirthName, []string{pt.mother}),
		el(tag.PatientTelephoneNumbers, []string{pt.phone}),
		el(tag.AdditionalPatientHistory, []string{g.note("Lives with daughter at " + pt.postcode)}),
		el(tag.PatientComments, []string{g.note("Contact " + pt.phone + " before visit")}),
		el(tag.BodyPartExamined, []string{"CHEST"}),
		el(tag.DeviceSerialNumber, []string{st.serial}),
		el(tag.ProtocolName, []string{"CHEST PA"}),
		el(tag.StudyInstanceUID, []string{st.uid}),
		el(tag.SeriesInstanceUID, []string{f.Series}),
		el(tag.StudyID, []string{g.note(fmt.Sprintf("S%05d", g.rng.IntN(100000)))}),
		el(tag.SeriesNumber, []string{"1"}),
		el(tag.InstanceNumber, []string{fmt.Sprint(idx + 1)}),
		el(tag.FrameOfReferenceUID, []string{g.note(f.Series + ".1")}),
		el(tag.ImageComments, []string{g.note("Patient " + pt.id + " portable")}),
		el(tag.RequestAttributesSequence, [][]*dcm.Element{{
			el(tag.RequestedProcedureDescription, []string{g.note("XR CHEST " + st.requestID)}),
			el(tag.RequestedProcedureID, []string{st.requestID}),
		}}),
		el(tag.RequestingPhysician, []string{g.note("REQUESTER^" + givens[(idx+2)%len(givens)])}),
		el(tag.PerformedProcedureStepStartDate, []string{st.date}),
		el(tag.PerformedProcedureStepID, []string{g.note(fmt.Sprintf("PPS%06d", idx))}),
		private(tg(0x0009, 0x0010), "LO", []string{"ACME 1.0"}),
		private(tg(0x0009, 0x1001), "LO", []string{pt.name}),
		private(tg(0x0009, 0x1002), "LO", []string{f.PrivateValue}),
		private(tg(0x0011, 0x0010), "LO", []string{"SITE PACS"}),
		private(tg(0x0011, 0x1010), "LO", []string{pt.id}),
	}
	g.truth.UIDs = append(g.truth.UIDs, f.Series+".1")
	if prevSOP != "" {
		elems = append(elems, el(tag.ReferencedImageSequence, [][]*dcm.Element{{
			el(tag.ReferencedSOPClassUID, []string{sopClassCR}),
			el(tag.ReferencedSOPInstanceUID, []string{prevSOP}),
		}}))
	}
	if f.BurnedIn {
		elems = append(elems, el(tag.BurnedInAnnotation, []string{"YES"}))
	} else {
		elems = append(elems, el(tag.BurnedInAnnotation, []string{"NO"}))
	}
	pix, err := g.pixels(f)
	if err != nil {
		return dcm.Dataset{}, err
	}
	elems = append(elems, pix...)
	sort.SliceStable(elems, func(i, j int) bool { return elems[i].Tag.Compare(elems[j].Tag) < 0 })
	return dcm.Dataset{Elements: elems}, nil
}

// pixels returns the image attributes and pixel data of f's format, and
// fills f.Values.
func (g *gen) pixels(f *File) ([]*dcm.Element, error) {
	rows, cols := f.Rows, f.Cols
	n := rows * cols
	f.Values = make([]float64, n)
	pattern := func(i int, span int) int {
		y, x := i/cols, i%cols
		return (x*span/cols + y*span/(2*rows) + (x*y)%7) % span
	}
	attrs := func(samples, bitsAlloc, bitsStored, rep int, photometric string) []*dcm.Element {
		return []*dcm.Element{
			el(tag.SamplesPerPixel, []int{samples}),
			el(tag.PhotometricInterpretation, []string{photometric}),
			el(tag.Rows, []int{rows}),
			el(tag.Columns, []int{cols}),
			el(tag.BitsAllocated, []int{bitsAlloc}),
			el(tag.BitsStored, []int{bitsStored}),
			el(tag.HighBit, []int{bitsStored - 1}),
			el(tag.PixelRepresentation, []int{rep}),
		}
	}
	native := func(nf frame.INativeFrame) *dcm.Element {
		return el(tag.PixelData, dcm.PixelDataInfo{Frames: []*frame.Frame{{NativeData: nf}}})
	}
	switch f.Format {
	case FormatU16Rescale, FormatBigEndian, FormatMono1:
		nf := frame.NewNativeFrame[uint16](16, rows, cols, n, 1)
		intercept := 0.0
		if f.Format == FormatU16Rescale {
			intercept = -1024
		}
		for i := range nf.RawData {
			v := pattern(i, 4096)
			nf.RawData[i] = uint16(v)
			f.Values[i] = float64(v) + intercept
		}
		photometric := "MONOCHROME2"
		if f.Format == FormatMono1 {
			photometric, f.Monochrome1 = "MONOCHROME1", true
		}
		out := attrs(1, 16, 12, 0, photometric)
		if f.Format == FormatU16Rescale {
			out = append(out, el(tag.RescaleIntercept, []string{"-1024"}), el(tag.RescaleSlope, []string{"1"}),
				el(tag.WindowCenter, []string{"40"}), el(tag.WindowWidth, []string{"400"}))
		}
		return append(out, native(nf)), nil
	case FormatU8:
		nf := frame.NewNativeFrame[uint8](8, rows, cols, n, 1)
		for i := range nf.RawData {
			v := pattern(i, 256)
			nf.RawData[i] = uint8(v)
			f.Values[i] = float64(v)
		}
		return append(attrs(1, 8, 8, 0, "MONOCHROME2"), native(nf)), nil
	case FormatS16:
		nf := frame.NewNativeFrame[uint16](16, rows, cols, n, 1)
		for i := range nf.RawData {
			v := pattern(i, 3000) - 1500
			nf.RawData[i] = uint16(int16(v))
			f.Values[i] = 2*float64(v) + 10
		}
		return append(attrs(1, 16, 16, 1, "MONOCHROME2"),
			el(tag.RescaleIntercept, []string{"10"}), el(tag.RescaleSlope, []string{"2"}), native(nf)), nil
	case FormatU32:
		nf := frame.NewNativeFrame[uint32](32, rows, cols, n, 1)
		for i := range nf.RawData {
			v := pattern(i, 100000) * 1000
			nf.RawData[i] = uint32(v)
			f.Values[i] = float64(v)
		}
		return append(attrs(1, 32, 32, 0, "MONOCHROME2"), native(nf)), nil
	case FormatRGB:
		nf := frame.NewNativeFrame[uint8](8, rows, cols, n, 3)
		for i := 0; i < n; i++ {
			r, gg, b := pattern(i, 256), (pattern(i, 256)*3)%256, 255-pattern(i, 256)
			nf.RawData[3*i], nf.RawData[3*i+1], nf.RawData[3*i+2] = uint8(r), uint8(gg), uint8(b)
			f.Values[i] = 0.299*float64(r) + 0.587*float64(gg) + 0.114*float64(b)
		}
		return append(attrs(3, 8, 8, 0, "RGB"), el(tag.PlanarConfiguration, []int{0}), native(nf)), nil
	case FormatJPEG:
		img := image.NewGray(image.Rect(0, 0, cols, rows))
		for i := 0; i < n; i++ {
			v := pattern(i, 256)
			img.Pix[i] = uint8(v)
			f.Values[i] = float64(v)
		}
		f.Lossy = true
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
			return nil, err
		}
		data := buf.Bytes()
		if len(data)%2 == 1 {
			data = append(data, 0)
		}
		pd := el(tag.PixelData, dcm.PixelDataInfo{IsEncapsulated: true,
			Frames: []*frame.Frame{{Encapsulated: true, EncapsulatedData: frame.EncapsulatedFrame{Data: data}}}})
		pd.RawValueRepresentation = "OB"
		pd.ValueLength = tag.VLUndefinedLength
		return append(attrs(1, 8, 8, 0, "MONOCHROME2"), el(tag.LossyImageCompression, []string{"01"}), pd), nil
	}
	return nil, fmt.Errorf("unknown format %q", f.Format)
}

func writeFile(p string, ds dcm.Dataset) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := dcm.Write(&buf, ds); err != nil {
		return err
	}
	return os.WriteFile(p, buf.Bytes(), 0o644)
}

// writeDICOMDIR writes a minimal DICOMDIR: one IMAGE record per file.
func writeDICOMDIR(p string, files [][]string, uid string) error {
	var records [][]*dcm.Element
	for _, parts := range files {
		records = append(records, []*dcm.Element{
			el(tg(0x0004, 0x1400), []int{0}),
			el(tg(0x0004, 0x1410), []int{0xFFFF}),
			el(tg(0x0004, 0x1420), []int{0}),
			el(tg(0x0004, 0x1430), []string{"IMAGE"}),
			el(tg(0x0004, 0x1500), parts),
		})
	}
	ds := dcm.Dataset{Elements: []*dcm.Element{
		el(tag.FileMetaInformationVersion, []byte{0, 1}),
		el(tag.MediaStorageSOPClassUID, []string{"1.2.840.10008.1.3.10"}),
		el(tag.MediaStorageSOPInstanceUID, []string{uid}),
		el(tag.TransferSyntaxUID, []string{"1.2.840.10008.1.2.1"}),
		el(tag.ImplementationClassUID, []string{"1.2.826.0.1.3680043.10.543.1"}),
		el(tg(0x0004, 0x1130), []string{"SYNTHETIC"}),
		el(tg(0x0004, 0x1200), []int{0}),
		el(tg(0x0004, 0x1202), []int{0}),
		el(tg(0x0004, 0x1212), []int{0}),
		el(tg(0x0004, 0x1220), records),
	}}
	return writeFile(p, ds)
}
