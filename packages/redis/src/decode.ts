/** Core's wire validators under the names this package uses: decode what Redis returns, never cast. */
export {
  WireShapeError as DecodeError,
  expectRecord as fields,
  type WireRecord as Fields,
  int,
  isRecord as isFields,
  list,
  num,
  optInt,
  optStr as optText,
  str as text,
  strArray as texts,
} from '@agentsocket/core/internal';
