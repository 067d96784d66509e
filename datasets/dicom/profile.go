package dicom

import "github.com/suyashkumar/dicom/pkg/tag"

// action is what the Basic Profile does to an attribute.
type action uint8

const (
	actKeep    action = iota // K: keep (also every standard attribute not in the table)
	actDummy                 // D: a dummy value; dates and times are modified by the date option, anything else emptied
	actEmpty                 // Z: keep the attribute with an empty value
	actRemove                // X: remove
	actUID                   // U: replace by the keyed UID remapping
	actPatient               // PatientID and PatientName: the keyed pseudonym
	actAge                   // PatientAge: kept as a 10-year band, a quasi-identifier the gate k-checks
)

// basicProfile is DICOM PS3.15 Annex E table E.1-1 (Basic Application Level
// Confidentiality Profile) for the attributes a PACS export carries. The
// compound actions resolve to the strictest action that keeps the file
// valid without knowing each IOD's attribute types:
//
//   - X/Z and X/Z/D → Z (a Type 2 attribute must stay, empty; an empty value
//     discloses nothing more than removal),
//   - X/D and Z/D → D for attributes with meaning to a reader (dates, which
//     the date option modifies instead) and Z otherwise,
//   - X/Z/U* and U → U (references stay consistent across files).
//
// Dates (VR DA and DT) whose action is not X are not emptied: the
// Retain Longitudinal Temporal Information with Modified Dates Option
// (Options.Dates "shift") moves them by the patient's keyed offset, or
// "year" reduces them to YYYY0101. Times (TM) are kept under "shift" (a
// whole-day shift leaves them consistent) and get the table's action
// under "year". Deviations from the table, and why:
//
//   - PatientID, PatientName: the keyed pseudonym instead of an empty or
//     dummy value, so that a patient's files stay linked (and linked to the
//     tabular pseudonyms of datasets/deid, which use the same HMAC).
//   - PatientBirthDate: removed (the table says Z); with age kept, a birth
//     date, even shifted, adds nothing a model needs.
//   - PatientSex and PatientAge: kept (Retain Patient Characteristics
//     Option for these two only), age banded to decades (90Y and over as
//     090Y) — quasi-identifiers the gate k-checks. PatientSize, PatientWeight
//     and the rest of that option's attributes are removed per the table.
//
// Private attributes are not in the table: they are removed unless
// Options.KeepPrivate names them. Curve (50xx) and overlay (60xx) repeating
// groups are matched with the low byte of the group cleared.
var basicProfile = map[uint32]action{
	// Patient
	0x00100010: actPatient, // PatientName (Z)
	0x00100020: actPatient, // PatientID (Z)
	0x00100021: actRemove,  // IssuerOfPatientID
	0x00100024: actRemove,  // IssuerOfPatientIDQualifiersSequence
	0x00100030: actRemove,  // PatientBirthDate (Z; removed, see above)
	0x00100032: actRemove,  // PatientBirthTime
	0x00100033: actRemove,  // PatientBirthDateInAlternativeCalendar
	0x00100034: actRemove,  // PatientDeathDateInAlternativeCalendar
	0x00100035: actRemove,  // PatientAlternativeCalendar
	0x00100040: actKeep,    // PatientSex (Z; kept, see above)
	0x00100050: actRemove,  // PatientInsurancePlanCodeSequence
	0x00100101: actRemove,  // PatientPrimaryLanguageCodeSequence
	0x00100102: actRemove,  // PatientPrimaryLanguageModifierCodeSequence
	0x00101000: actRemove,  // OtherPatientIDs
	0x00101001: actRemove,  // OtherPatientNames
	0x00101002: actRemove,  // OtherPatientIDsSequence
	0x00101005: actRemove,  // PatientBirthName
	0x00101010: actAge,     // PatientAge (X; banded, see above)
	0x00101020: actRemove,  // PatientSize
	0x00101030: actRemove,  // PatientWeight
	0x00101040: actRemove,  // PatientAddress
	0x00101050: actRemove,  // InsurancePlanIdentification
	0x00101060: actRemove,  // PatientMotherBirthName
	0x00101080: actRemove,  // MilitaryRank
	0x00101081: actRemove,  // BranchOfService
	0x00101090: actRemove,  // MedicalRecordLocator
	0x00101100: actRemove,  // ReferencedPatientPhotoSequence
	0x00102000: actRemove,  // MedicalAlerts
	0x00102110: actRemove,  // Allergies
	0x00102150: actRemove,  // CountryOfResidence
	0x00102152: actRemove,  // RegionOfResidence
	0x00102154: actRemove,  // PatientTelephoneNumbers
	0x00102155: actRemove,  // PatientTelecomInformation
	0x00102160: actRemove,  // EthnicGroup
	0x00102180: actRemove,  // Occupation
	0x001021A0: actRemove,  // SmokingStatus
	0x001021B0: actRemove,  // AdditionalPatientHistory
	0x001021C0: actRemove,  // PregnancyStatus
	0x001021D0: actRemove,  // LastMenstrualDate
	0x001021F0: actRemove,  // PatientReligiousPreference
	0x00102203: actRemove,  // PatientSexNeutered
	0x00102297: actRemove,  // ResponsiblePerson
	0x00102299: actRemove,  // ResponsibleOrganization
	0x00104000: actRemove,  // PatientComments
	0x00380010: actRemove,  // AdmissionID
	0x00380014: actRemove,  // IssuerOfAdmissionIDSequence
	0x00380020: actRemove,  // AdmittingDate
	0x00380021: actRemove,  // AdmittingTime
	0x00380040: actRemove,  // DischargeDiagnosisDescription
	0x00380050: actRemove,  // SpecialNeeds
	0x00380060: actRemove,  // ServiceEpisodeID
	0x00380062: actRemove,  // ServiceEpisodeDescription
	0x00380300: actRemove,  // CurrentPatientLocation
	0x00380400: actRemove,  // PatientInstitutionResidence
	0x00380500: actRemove,  // PatientState
	0x00384000: actRemove,  // VisitComments
	0x00381234: actRemove,  // ReferencedPatientAliasSequence

	// Study
	0x00080020: actEmpty,  // StudyDate (Z; modified by the date option)
	0x00080030: actEmpty,  // StudyTime (Z)
	0x00080050: actEmpty,  // AccessionNumber (Z)
	0x00080051: actRemove, // IssuerOfAccessionNumberSequence
	0x00080090: actEmpty,  // ReferringPhysicianName (Z)
	0x00080092: actRemove, // ReferringPhysicianAddress
	0x00080094: actRemove, // ReferringPhysicianTelephoneNumbers
	0x00080096: actRemove, // ReferringPhysicianIdentificationSequence
	0x00081030: actRemove, // StudyDescription (X)
	0x00081032: actRemove, // ProcedureCodeSequence (X)
	0x00081048: actRemove, // PhysiciansOfRecord
	0x00081049: actRemove, // PhysiciansOfRecordIdentificationSequence
	0x00081060: actRemove, // NameOfPhysiciansReadingStudy
	0x00081062: actRemove, // PhysiciansReadingStudyIdentificationSequence
	0x00081080: actRemove, // AdmittingDiagnosesDescription
	0x00081084: actRemove, // AdmittingDiagnosesCodeSequence
	0x00081110: actRemove, // ReferencedStudySequence (X/Z)
	0x00081120: actRemove, // ReferencedPatientSequence
	0x0020000D: actUID,    // StudyInstanceUID
	0x00200010: actEmpty,  // StudyID (Z)
	0x00320012: actRemove, // StudyIDIssuer
	0x00321032: actRemove, // RequestingPhysician
	0x00321033: actRemove, // RequestingService
	0x00321060: actRemove, // RequestedProcedureDescription (X/Z)
	0x00321070: actRemove, // RequestedContrastAgent
	0x00324000: actRemove, // StudyComments
	0x00401001: actRemove, // RequestedProcedureID
	0x00401002: actRemove, // ReasonForTheRequestedProcedure
	0x00401004: actRemove, // PatientTransportArrangements
	0x00401005: actRemove, // RequestedProcedureLocation
	0x00401010: actRemove, // NamesOfIntendedRecipientsOfResults
	0x00401011: actRemove, // IntendedRecipientsOfResultsIdentificationSequence
	0x00401101: actRemove, // PersonIdentificationCodeSequence
	0x00401102: actRemove, // PersonAddress
	0x00401103: actRemove, // PersonTelephoneNumbers
	0x00401400: actRemove, // RequestedProcedureComments
	0x00402001: actRemove, // ReasonForTheImagingServiceRequest
	0x00402008: actRemove, // OrderEnteredBy
	0x00402009: actRemove, // OrderEntererLocation
	0x00402010: actRemove, // OrderCallbackPhoneNumber
	0x00402016: actEmpty,  // PlacerOrderNumberImagingServiceRequest (Z)
	0x00402017: actEmpty,  // FillerOrderNumberImagingServiceRequest (Z)
	0x00402400: actRemove, // ImagingServiceRequestComments
	0x00400275: actRemove, // RequestAttributesSequence (X)
	0x0040A124: actUID,    // UID
	0x0040A730: actRemove, // ContentSequence (X)
	0x00403001: actRemove, // ConfidentialityConstraintOnPatientDataDescription
	0x40080114: actRemove, // PhysicianApprovingInterpretation
	0x40080119: actRemove, // DistributionName
	0x4008011A: actRemove, // DistributionAddress
	0x40080202: actRemove, // InterpretationIDIssuer
	0x40080300: actRemove, // Impressions
	0x40084000: actRemove, // ResultsComments

	// Series, acquisition, image
	0x00080021: actDummy,  // SeriesDate (X/D; modified by the date option)
	0x00080022: actDummy,  // AcquisitionDate (X/Z; modified)
	0x00080023: actEmpty,  // ContentDate (Z/D; modified)
	0x0008002A: actDummy,  // AcquisitionDateTime (X/D; modified)
	0x00080031: actDummy,  // SeriesTime (X/D)
	0x00080032: actDummy,  // AcquisitionTime (X/Z)
	0x00080033: actEmpty,  // ContentTime (Z/D)
	0x00080012: actDummy,  // InstanceCreationDate (X/D; modified)
	0x00080013: actDummy,  // InstanceCreationTime (X/Z/D)
	0x00080014: actUID,    // InstanceCreatorUID
	0x00080018: actUID,    // SOPInstanceUID
	0x00080058: actUID,    // FailedSOPInstanceUIDList
	0x0008103E: actRemove, // SeriesDescription (X)
	0x00081040: actRemove, // InstitutionalDepartmentName
	0x00081041: actRemove, // InstitutionalDepartmentTypeCodeSequence
	0x00081050: actRemove, // PerformingPhysicianName
	0x00081052: actRemove, // PerformingPhysicianIdentificationSequence
	0x00081070: actRemove, // OperatorsName (X/Z/D)
	0x00081072: actRemove, // OperatorIdentificationSequence
	0x00081111: actRemove, // ReferencedPerformedProcedureStepSequence (X/Z/D)
	0x00081140: actKeep,   // ReferencedImageSequence (X/Z/U*; kept, its UIDs remapped)
	0x00081155: actUID,    // ReferencedSOPInstanceUID
	0x00081195: actUID,    // TransactionUID
	0x00082111: actRemove, // DerivationDescription
	0x00082112: actKeep,   // SourceImageSequence (X/Z/U*; kept, its UIDs remapped)
	0x00084000: actRemove, // IdentifyingComments
	0x00181000: actRemove, // DeviceSerialNumber (X/Z/D)
	0x00181002: actUID,    // DeviceUID
	0x00181004: actRemove, // PlateID
	0x00181005: actRemove, // GeneratorID
	0x00181007: actRemove, // CassetteID
	0x00181008: actRemove, // GantryID
	0x00181030: actRemove, // ProtocolName (X/D)
	0x00181400: actRemove, // AcquisitionDeviceProcessingDescription (X/D)
	0x00184000: actRemove, // AcquisitionComments
	0x0018700A: actRemove, // DetectorID
	0x00189424: actRemove, // AcquisitionProtocolDescription
	0x0018A003: actRemove, // ContributionDescription
	0x0020000E: actUID,    // SeriesInstanceUID
	0x00200052: actUID,    // FrameOfReferenceUID
	0x00200200: actUID,    // SynchronizationFrameOfReferenceUID
	0x00203401: actRemove, // ModifyingDeviceID
	0x00203404: actRemove, // ModifyingDeviceManufacturer
	0x00203406: actRemove, // ModifiedImageDescription
	0x00204000: actRemove, // ImageComments
	0x00209158: actRemove, // FrameComments
	0x00209161: actUID,    // ConcatenationUID
	0x00209164: actUID,    // DimensionOrganizationUID
	0x00281199: actUID,    // PaletteColorLookupTableUID
	0x00281214: actUID,    // LargePaletteColorLookupTableUID
	0x00284000: actRemove, // ImagePresentationComments
	0x00400241: actRemove, // PerformedStationAETitle
	0x00400242: actRemove, // PerformedStationName
	0x00400243: actRemove, // PerformedLocation
	0x00400244: actRemove, // PerformedProcedureStepStartDate
	0x00400245: actRemove, // PerformedProcedureStepStartTime
	0x00400250: actRemove, // PerformedProcedureStepEndDate
	0x00400251: actRemove, // PerformedProcedureStepEndTime
	0x00400253: actRemove, // PerformedProcedureStepID
	0x00400254: actRemove, // PerformedProcedureStepDescription
	0x00400280: actRemove, // CommentsOnThePerformedProcedureStep
	0x00400555: actRemove, // AcquisitionContextSequence
	0x00400001: actRemove, // ScheduledStationAETitle
	0x00400002: actRemove, // ScheduledProcedureStepStartDate
	0x00400003: actRemove, // ScheduledProcedureStepStartTime
	0x00400004: actRemove, // ScheduledProcedureStepEndDate
	0x00400005: actRemove, // ScheduledProcedureStepEndTime
	0x00400006: actRemove, // ScheduledPerformingPhysicianName
	0x00400007: actRemove, // ScheduledProcedureStepDescription
	0x00400009: actRemove, // ScheduledProcedureStepID
	0x0040000B: actRemove, // ScheduledPerformingPhysicianIdentificationSequence
	0x00400010: actRemove, // ScheduledStationName
	0x00400011: actRemove, // ScheduledProcedureStepLocation
	0x00400012: actRemove, // PreMedication
	0x00400400: actRemove, // CommentsOnTheScheduledProcedureStep
	0x0040A027: actRemove, // VerifyingOrganization
	0x0040A073: actRemove, // VerifyingObserverSequence
	0x0040A075: actRemove, // VerifyingObserverName
	0x0040A088: actRemove, // VerifyingObserverIdentificationCodeSequence
	0x0040A078: actRemove, // AuthorObserverSequence
	0x0040A07A: actRemove, // ParticipantSequence
	0x0040A07C: actRemove, // CustodialOrganizationSequence
	0x0040A123: actRemove, // PersonName
	0x00700084: actRemove, // ContentCreatorName
	0x00700086: actRemove, // ContentCreatorIdentificationCodeSequence
	0x00880140: actUID,    // StorageMediaFileSetUID
	0x00880200: actRemove, // IconImageSequence
	0x00880904: actRemove, // TopicTitle
	0x00880906: actRemove, // TopicSubject
	0x00880910: actRemove, // TopicAuthor
	0x00880912: actRemove, // TopicKeywords
	0x04000100: actUID,    // DigitalSignatureUID
	0x04000402: actRemove, // ReferencedDigitalSignatureSequence
	0x04000403: actRemove, // ReferencedSOPInstanceMACSequence
	0x04000404: actRemove, // MAC
	0x04000550: actRemove, // ModifiedAttributesSequence
	0x04000561: actRemove, // OriginalAttributesSequence
	0xFFFAFFFA: actRemove, // DigitalSignaturesSequence
	0xFFFCFFFC: actRemove, // DataSetTrailingPadding
	0x00020003: actUID,    // MediaStorageSOPInstanceUID
	0x00020016: actRemove, // SourceApplicationEntityTitle (not in E.1-1; names a site's node)
	0x00041511: actUID,    // ReferencedSOPInstanceUIDInFile

	// Equipment, institution, operators
	0x00080080: actRemove, // InstitutionName (X/Z/D)
	0x00080081: actRemove, // InstitutionAddress
	0x00080082: actRemove, // InstitutionCodeSequence (X/Z/D)
	0x00081010: actRemove, // StationName (X/Z/D)
	0x00321020: actRemove, // ScheduledStudyLocation
	0x00321021: actRemove, // ScheduledStudyLocationAETitle
	0x30060024: actUID,    // ReferencedFrameOfReferenceUID
	0x300600C2: actUID,    // RelatedFrameOfReferenceUID
	0x300A0013: actUID,    // DoseReferenceUID
	0x30100006: actUID,    // ConceptualVolumeUID
	0x00620021: actUID,    // TrackingUID
	0x00083010: actUID,    // IrradiationEventUID
	0x00404023: actUID,    // ReferencedGeneralPurposeScheduledProcedureStepTransactionUID
	0x0040DB0C: actUID,    // TemplateExtensionCreatorUID
	0x0040DB0D: actUID,    // TemplateExtensionOrganizationUID
	0x0070031A: actUID,    // FiducialUID
	0x00209312: actUID,    // VolumeFrameOfReferenceUID
	0x00209313: actUID,    // TableFrameOfReferenceUID

	// Overlays and curves (repeating groups, low byte cleared)
	0x50000000: actRemove, // CurveData group (X)
	0x60003000: actRemove, // OverlayData (X)
	0x60004000: actRemove, // OverlayComments (X)
}

// profileAction returns the table's action for t (K when absent).
func profileAction(t tag.Tag) (action, bool) {
	g := t.Group
	if g&0xFF00 == 0x5000 {
		return actRemove, true // every curve attribute: curves may hold PHI text
	}
	if g&0xFF00 == 0x6000 && g%2 == 0 {
		g = 0x6000
	}
	a, ok := basicProfile[uint32(g)<<16|uint32(t.Element)]
	return a, ok
}
