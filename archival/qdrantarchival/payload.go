package qdrantarchival

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/memsvc/memsvc/archival"
)

// Payload fields. Times are RFC 3339 strings in UTC with microseconds (Qdrant's datetime index
// reads them); valid_to is null while the passage is valid. metadata is a JSON object in a string
// (absent when empty), so that it round-trips exactly; embedding is the passage's vector as
// base64 little-endian float32s.
const (
	fieldAgent        = "agent_id"
	fieldID           = "passage_id"
	fieldText         = "text"
	fieldEmbedding    = "embedding"
	fieldCreatedAt    = "created_at"
	fieldValidFrom    = "valid_from"
	fieldValidTo      = "valid_to"
	fieldStatus       = "status"
	fieldSupersedes   = "supersedes"
	fieldSupersededBy = "superseded_by"
	fieldKey          = "key"
	fieldSource       = "source"
	fieldTags         = "tags"
	fieldMetadata     = "metadata"
	fieldPossiblyBy   = "possibly_superseded_by"
	fieldConfidence   = "confidence"
	fieldContext      = "context"
)

// timeLayout is RFC 3339 with exactly six fractional digits.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// pointNamespace is the UUID namespace of PointID.
var pointNamespace = [16]byte{0x6d, 0x65, 0x6d, 0x73, 0x76, 0x63, 0x2d, 0x61, 0x72, 0x63, 0x68, 0x69, 0x76, 0x61, 0x6c, 0x00}

// PointID is the Qdrant point id of a passage: a name-based UUID (version 5, SHA-1) of the agent
// and the passage id, separated by a NUL byte (which neither may contain), so the same passage
// always maps to the same point and different agents' passages never collide.
func PointID(agentID, id string) string {
	h := sha1.New()
	h.Write(pointNamespace[:])
	h.Write([]byte(agentID))
	h.Write([]byte{0})
	h.Write([]byte(id))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

func pointID(agentID, id string) *qdrant.PointId { return qdrant.NewIDUUID(PointID(agentID, id)) }

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// encodeVector returns v as base64 little-endian float32s.
func encodeVector(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decodeVector(s string) ([]float32, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%4 != 0 {
		return nil, fmt.Errorf("embedding of %d bytes: %v", len(b), err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// payload returns every field of p as a Qdrant payload. p is validated, so its metadata marshals.
func payload(p archival.Passage) map[string]*qdrant.Value {
	tags := make([]*qdrant.Value, len(p.Tags))
	for i, t := range p.Tags {
		tags[i] = qdrant.NewValueString(t)
	}
	m := map[string]*qdrant.Value{
		fieldAgent:        qdrant.NewValueString(p.AgentID),
		fieldID:           qdrant.NewValueString(p.ID),
		fieldText:         qdrant.NewValueString(p.Text),
		fieldEmbedding:    qdrant.NewValueString(encodeVector(p.Vector)),
		fieldCreatedAt:    qdrant.NewValueString(formatTime(p.CreatedAt)),
		fieldValidFrom:    qdrant.NewValueString(formatTime(p.ValidFrom)),
		fieldValidTo:      timeValue(p.ValidTo),
		fieldStatus:       qdrant.NewValueString(string(p.Status)),
		fieldSupersedes:   qdrant.NewValueString(p.Supersedes),
		fieldSupersededBy: qdrant.NewValueString(p.SupersededBy),
		fieldKey:          qdrant.NewValueString(p.Key),
		fieldSource:       qdrant.NewValueString(string(p.Source)),
		fieldTags:         qdrant.NewValueFromList(tags...),
		fieldPossiblyBy:   qdrant.NewValueString(p.PossiblySupersededBy),
		fieldConfidence:   qdrant.NewValueDouble(p.Confidence),
	}
	if len(p.Metadata) > 0 {
		b, _ := json.Marshal(p.Metadata)
		m[fieldMetadata] = qdrant.NewValueString(string(b))
	}
	if p.Context != "" {
		m[fieldContext] = qdrant.NewValueString(p.Context)
	}
	return m
}

// validityPayload is the part of the payload the key rule changes.
func validityPayload(p archival.Passage) map[string]*qdrant.Value {
	return map[string]*qdrant.Value{
		fieldStatus:       qdrant.NewValueString(string(p.Status)),
		fieldSupersededBy: qdrant.NewValueString(p.SupersededBy),
		fieldValidTo:      timeValue(p.ValidTo),
	}
}

func timeValue(t *time.Time) *qdrant.Value {
	if t == nil {
		return qdrant.NewValueNull()
	}
	return qdrant.NewValueString(formatTime(*t))
}

// fromPayload reads a passage back from a point's payload. It fails on a payload it cannot read,
// such as one written by another program.
func fromPayload(pl map[string]*qdrant.Value) (archival.Passage, error) {
	var p archival.Passage
	var err error
	str := func(f string) string { return pl[f].GetStringValue() }
	tm := func(f string) time.Time {
		t, e := time.Parse(time.RFC3339Nano, str(f))
		if e != nil && err == nil {
			err = fmt.Errorf("payload field %s: %w", f, e)
		}
		return t.UTC()
	}
	p.AgentID, p.ID, p.Text, p.Context = str(fieldAgent), str(fieldID), str(fieldText), str(fieldContext)
	p.CreatedAt, p.ValidFrom = tm(fieldCreatedAt), tm(fieldValidFrom)
	if v := pl[fieldValidTo]; v.GetStringValue() != "" {
		t := tm(fieldValidTo)
		p.ValidTo = &t
	}
	p.Status, p.Source = archival.Status(str(fieldStatus)), archival.Source(str(fieldSource))
	p.Supersedes, p.SupersededBy, p.Key = str(fieldSupersedes), str(fieldSupersededBy), str(fieldKey)
	p.PossiblySupersededBy, p.Confidence = str(fieldPossiblyBy), number(pl[fieldConfidence])
	p.Tags = []string{}
	for _, t := range pl[fieldTags].GetListValue().GetValues() {
		p.Tags = append(p.Tags, t.GetStringValue())
	}
	if m := str(fieldMetadata); m != "" {
		if e := json.Unmarshal([]byte(m), &p.Metadata); e != nil && err == nil {
			err = fmt.Errorf("payload field %s: %w", fieldMetadata, e)
		}
	}
	if e := pl[fieldEmbedding]; e != nil {
		v, e := decodeVector(e.GetStringValue())
		if e != nil && err == nil {
			err = fmt.Errorf("payload field %s: %w", fieldEmbedding, e)
		}
		p.Vector = v
	}
	if p.AgentID == "" || p.ID == "" {
		err = fmt.Errorf("payload without %s or %s", fieldAgent, fieldID)
	}
	return p, err
}

// number reads a numeric payload value, which JSON may hand back as an integer.
func number(v *qdrant.Value) float64 {
	if i, ok := v.GetKind().(*qdrant.Value_IntegerValue); ok {
		return float64(i.IntegerValue)
	}
	return v.GetDoubleValue()
}
