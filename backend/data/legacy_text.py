"""A text codec for files that are not valid UTF-8: UTF-8 where the bytes are UTF-8, cp1252 elsewhere.

Files edited by several programs often mix the two: rows pasted from a web page (UTF-8) after rows
exported by an old spreadsheet (Windows-1252). Decoding the whole file as either garbles the other's
accented letters; this codec reads each character as it was written. In a file of cp1252 alone a byte
sequence that is also valid UTF-8 (such as ``Ã©``) is practically never real text, so a pure legacy
file decodes as cp1252 would decode it.

The codec is registered under :data:`UTF8_ELSE_CP1252`, so pandas and pyarrow can be given its name.
"""

from __future__ import annotations

import codecs

#: The codec's name, as passed to ``bytes.decode`` or ``pandas.read_csv(encoding=...)``.
UTF8_ELSE_CP1252 = "utf8_else_cp1252"
_ERRORS = "torchwork-cp1252-fallback"


def _legacy_bytes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    # cp1252 leaves five bytes undefined; Latin-1 names every byte.
    return "".join(_one_byte(bytes([b])) for b in bad), error.end


def _one_byte(byte: bytes) -> str:
    try:
        return byte.decode("cp1252")
    except UnicodeDecodeError:
        return byte.decode("latin-1")


def _decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
    return codecs.utf_8_decode(data, _ERRORS, True)


def _encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
    return codecs.utf_8_encode(text, errors)


class _IncrementalDecoder(codecs.BufferedIncrementalDecoder):
    def _buffer_decode(self, data, errors, final):  # a sequence cut at a chunk's end waits for the next
        return codecs.utf_8_decode(data, _ERRORS, final)


class _IncrementalEncoder(codecs.IncrementalEncoder):
    def encode(self, text, final=False):
        return codecs.utf_8_encode(text, self.errors)[0]


class _StreamReader(codecs.StreamReader):
    def decode(self, data, errors="strict"):
        return codecs.utf_8_decode(data, _ERRORS, False)


class _StreamWriter(codecs.StreamWriter):
    def encode(self, text, errors="strict"):
        return codecs.utf_8_encode(text, errors)


def _find(name: str) -> codecs.CodecInfo | None:
    if name.replace("-", "_") != UTF8_ELSE_CP1252:
        return None
    return codecs.CodecInfo(
        name=UTF8_ELSE_CP1252,
        encode=_encode,
        decode=_decode,
        incrementalencoder=_IncrementalEncoder,
        incrementaldecoder=_IncrementalDecoder,
        streamreader=_StreamReader,
        streamwriter=_StreamWriter,
    )


codecs.register_error(_ERRORS, _legacy_bytes)
codecs.register(_find)
