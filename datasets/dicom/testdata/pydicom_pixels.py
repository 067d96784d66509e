# Prints, for each DICOM file named on the command line that pydicom can
# decode, the first frame normalised as datasets/dicom does (rescale,
# one channel, min-max to [0,1], MONOCHROME1 inverted): its size, mean and
# 16 samples, as JSON. An independent reference for pydicom_test.go.
import json, sys
import numpy as np
import pydicom

out = {}
for path in sys.argv[1:]:
    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
    except Exception:
        continue
    nframes = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if nframes > 1:
        arr = arr[0]
    arr = arr.astype(np.float64)
    photometric = str(ds.get("PhotometricInterpretation", ""))
    if int(ds.get("SamplesPerPixel", 1)) == 3:
        if photometric.startswith("YBR"):
            arr = arr[..., 0]  # pydicom leaves YBR as is: Y is the luminance
        else:
            arr = 0.299 * arr[..., 0] + 0.587 * arr[..., 1] + 0.114 * arr[..., 2]
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    arr = arr * slope + intercept
    lo, hi = arr.min(), arr.max()
    arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
    if photometric == "MONOCHROME1":
        arr = 1 - arr
    flat = arr.ravel()
    idx = [int(i) for i in np.linspace(0, flat.size - 1, 16)]
    out[path] = {"rows": int(arr.shape[0]), "cols": int(arr.shape[1]), "mean": float(flat.mean()),
                 "samples": [float(flat[i]) for i in idx], "jpeg": bool(ds.file_meta.TransferSyntaxUID.is_compressed)}
print(json.dumps(out))
