package mongodb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// jsonToBSON turns a JSON value into the value that the Keptn 0.7
// datastore stored for it: objects become documents with their keys in
// order, arrays arrays, integers that fit int64 int64, other numbers
// double. Of a key given twice, the last value is kept at the place of the
// first.
//
// With arraysAsDocuments, an array inside an array becomes a document with
// the keys "0", "1" and so on, because FerretDB v1 rejects nested arrays.
// The document serves only queries: reads return the stored JSON text.
func jsonToBSON(data []byte, esc escaper, arraysAsDocuments bool) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	r := jsonReader{dec: dec, esc: esc, arraysAsDocuments: arraysAsDocuments}
	v, err := r.read(false)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// jsonReader reads one JSON value from dec as jsonToBSON converts it.
type jsonReader struct {
	dec               *json.Decoder
	esc               escaper
	arraysAsDocuments bool
}

// read reads the next value. inArray reports whether the value is an
// element of an array.
func (r jsonReader) read(inArray bool) (any, error) {
	dec, esc := r.dec, r.esc
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			arr := bson.A{}
			for dec.More() {
				v, err := r.read(true)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			if inArray && r.arraysAsDocuments {
				doc := make(bson.D, len(arr))
				for i, v := range arr {
					doc[i] = bson.E{Key: strconv.Itoa(i), Value: v}
				}
				return doc, err
			}
			return arr, err
		}
		doc := bson.D{}
		index := map[string]int{}
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key := esc.key(keyTok.(string))
			v, err := r.read(false)
			if err != nil {
				return nil, err
			}
			if i, ok := index[key]; ok {
				doc[i].Value = v
				continue
			}
			index[key] = len(doc)
			doc = append(doc, bson.E{Key: key, Value: v})
		}
		_, err := dec.Token()
		return doc, err
	case json.Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return n, nil
		}
		if f, err := strconv.ParseFloat(string(t), 64); err == nil {
			return f, nil
		}
		// Beyond the range of a double: kept as its text.
		return string(t), nil
	default:
		return t, nil // string, bool or nil
	}
}

// bsonToJSON writes a stored value as JSON, for the documents that the Keptn
// 0.7 datastore wrote without the JSON text of data and extensions. Types
// that JSON lacks are written in MongoDB's relaxed extended JSON, except
// dates, which become RFC 3339 strings as Keptn wrote them.
func bsonToJSON(v bson.RawValue, esc escaper) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, v, esc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeJSON(buf *bytes.Buffer, v bson.RawValue, esc escaper) error {
	switch v.Type {
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		isDoc := v.Type == bson.TypeEmbeddedDocument
		elems, err := bson.Raw(v.Value).Elements()
		if err != nil {
			return err
		}
		open, end := byte('['), byte(']')
		if isDoc {
			open, end = '{', '}'
		}
		buf.WriteByte(open)
		for i, e := range elems {
			if i > 0 {
				buf.WriteByte(',')
			}
			if isDoc {
				key, _ := json.Marshal(esc.unkey(e.Key()))
				buf.Write(key)
				buf.WriteByte(':')
			}
			if err := writeJSON(buf, e.Value(), esc); err != nil {
				return err
			}
		}
		buf.WriteByte(end)
		return nil
	case bson.TypeString:
		b, _ := json.Marshal(v.StringValue())
		buf.Write(b)
	case bson.TypeInt32:
		buf.WriteString(strconv.FormatInt(int64(v.Int32()), 10))
	case bson.TypeInt64:
		buf.WriteString(strconv.FormatInt(v.Int64(), 10))
	case bson.TypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			buf.WriteString("null")
			return nil
		}
		b, _ := json.Marshal(f)
		buf.Write(b)
	case bson.TypeBoolean:
		buf.WriteString(strconv.FormatBool(v.Boolean()))
	case bson.TypeNull, bson.TypeUndefined:
		buf.WriteString("null")
	case bson.TypeDateTime:
		t := time.UnixMilli(v.DateTime()).UTC()
		b, _ := json.Marshal(t.Format("2006-01-02T15:04:05.000Z07:00"))
		buf.Write(b)
	default:
		text := v.String()
		if !json.Valid([]byte(text)) {
			return fmt.Errorf("cannot write a BSON %s value as JSON", v.Type)
		}
		buf.WriteString(text)
	}
	return nil
}
