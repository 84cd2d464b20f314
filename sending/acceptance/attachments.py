"""Which attachments a message may carry: documents, images, audio and video.

The type comes from the file name's extension, through the table below rather
than the host's mime.types, so it is the same on every machine. Executables and
scripts are refused by name (including the web and macro-enabled Office formats
that run code) and by content (program headers and "#!" lines under any name).
Archives are refused too: what they hold cannot be checked, so they would carry
executables past these rules.
"""

import base64
import binascii
import re
from typing import Any

from sending.acceptance.headers import has_control
from sesconsole.refusals import Refusal

MAX_ATTACHMENTS = 10
MAX_NAME = 255
PARAM = "Attachments"  # what every refusal here concerns (Refusal.param)

_DOCX = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"
CONTENT_TYPES = {
    # documents
    "pdf": "application/pdf",
    "ofd": "application/ofd",
    "doc": "application/msword",
    "docx": f"{_DOCX}.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": f"{_DOCX}.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pps": "application/vnd.ms-powerpoint",
    "pptx": f"{_DOCX}.presentationml.presentation",
    "ppsx": f"{_DOCX}.presentationml.slideshow",
    "odt": f"{_ODF}.text",
    "ods": f"{_ODF}.spreadsheet",
    "odp": f"{_ODF}.presentation",
    "rtf": "application/rtf",
    "epub": "application/epub+zip",
    "txt": "text/plain",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "md": "text/markdown",
    "ics": "text/calendar",
    "vcf": "text/vcard",
    # images
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "webp": "image/webp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "heif": "image/heif",
    "avif": "image/avif",
    # audio
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/opus",
    "flac": "audio/flac",
    "amr": "audio/amr",
    "wma": "audio/x-ms-wma",
    "mid": "audio/midi",
    "midi": "audio/midi",
    # video
    "mp4": "video/mp4",
    "m4v": "video/x-m4v",
    "mov": "video/quicktime",
    "avi": "video/x-msvideo",
    "mkv": "video/x-matroska",
    "webm": "video/webm",
    "wmv": "video/x-ms-wmv",
    "flv": "video/x-flv",
    "3gp": "video/3gpp",
    "mpg": "video/mpeg",
    "mpeg": "video/mpeg",
    "ogv": "video/ogg",
}


def _words(*parts: str) -> frozenset[str]:
    return frozenset(" ".join(parts).split())


EXECUTABLE_EXTENSIONS = _words(
    # programs, installers, libraries, shortcuts, disk images
    "exe com scr pif cpl msi msp mst msc dll sys drv ocx bin run elf app apk ipa dmg "
    "pkg deb rpm appx msix appxbundle msixbundle application gadget lnk url scf inf reg "
    "iso img vhd vhdx xll lib "
    # scripts
    "bat cmd vb vbs vbe js jse mjs wsf wsh wsc sct hta ps1 psm1 psd1 ps1xml sh bash zsh "
    "csh ksh fish py pyc pyw pl rb php jar class action command workflow ade adp mde ins "
    "isp shb shs chm "
    # documents that run code: web pages, SVG, macro-enabled Office formats
    "htm html xhtml shtml svg mht mhtml docm dotm xlsm xltm xlam pptm potm ppam ppsm sldm",
)
ARCHIVE_EXTENSIONS = _words("zip rar 7z tar gz tgz bz2 tbz2 xz txz zst lz lzma z cab arj lzh ace")

# Names are shown by mail programs and saved to disk: no path separators,
# characters Windows refuses, control characters or bidirectional overrides
# (which make "invoice\u202efdp.exe" display as "invoiceexe.pdf").
_NAME_FORBIDDEN = re.compile('[/\\\\:*?"<>|\u200e\u200f\u202a-\u202e\u2066-\u2069]')

# The first bytes of programs and scripts, whatever the file is called.
_PROGRAM_MAGIC = (
    b"MZ",  # Windows/DOS programs
    b"\x7fELF",  # Linux programs
    b"\xca\xfe\xba\xbe",  # Mach-O universal programs, Java classes
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",  # Mach-O programs
    b"dex\n",  # Android programs
    b"#!",  # scripts
)

_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_WHITESPACE = re.compile(r"\s+")


def decode_base64(raw: object) -> bytes | None:
    """Standard base64 (line breaks tolerated), or None when it is not."""
    if not isinstance(raw, str):
        return None
    text = _WHITESPACE.sub("", raw)
    if len(text) % 4 or not _BASE64.match(text):
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _bad_name(name: str, why: str) -> Refusal:
    return Refusal("FailedOperation.InvalidAttachName", f"Attachment {name[:80]!r}: {why}", PARAM)


def content_type_for(name: object) -> str:
    """The content type of an attachment called `name`, or Refusal when it is refused."""
    if not isinstance(name, str) or not name.strip():
        raise Refusal("FailedOperation.InvalidAttachName", "An attachment has no FileName.", PARAM)
    if len(name) > MAX_NAME:
        raise _bad_name(name, f"a file name has at most {MAX_NAME} characters.")
    if has_control(name) or _NAME_FORBIDDEN.search(name):
        raise _bad_name(
            name,
            'a file name must not contain / \\ : * ? " < > |, line breaks, control or '
            "direction characters.",
        )
    stem, dot, extension = name.rpartition(".")
    extension = extension.lower()
    if not (dot and extension and stem.strip(" .")) or name != name.strip():
        raise _bad_name(name, "give a file name with its extension, such as report.pdf.")
    if extension in EXECUTABLE_EXTENSIONS:
        raise _bad_name(name, "executables, scripts and web pages cannot be attached.")
    if extension in ARCHIVE_EXTENSIONS:
        raise _bad_name(name, "archives cannot be attached; attach the files themselves.")
    if extension not in CONTENT_TYPES:
        raise _bad_name(
            name, f".{extension} files cannot be attached: only documents, images, audio, video."
        )
    return CONTENT_TYPES[extension]


def check_attachment(name: str, content: bytes) -> tuple[str, str, bytes]:
    """(name, content type, content) for SendRequest.attachments, or Refusal."""
    content_type = content_type_for(name)
    if not content:
        raise Refusal(
            "InvalidParameterValue.AttachContentIsWrong", f"Attachment {name!r} is empty.", PARAM
        )
    if content.startswith(_PROGRAM_MAGIC):
        raise Refusal(
            "InvalidParameterValue.AttachContentIsWrong",
            f"Attachment {name!r} is a program or a script, which cannot be attached.",
            PARAM,
        )
    return name, content_type, content


def check_count(count: int) -> None:
    if count > MAX_ATTACHMENTS:
        raise Refusal(
            "FailedOperation.TooManyAttachments",
            f"An email carries at most {MAX_ATTACHMENTS} attachments, not {count}.",
            PARAM,
        )


def parse_attachments(raw: list[dict[str, Any]] | None) -> list[tuple[str, str, bytes]]:
    """The API's Attachments: at most 10, each a FileName and base64 Content."""
    raw = raw or []
    check_count(len(raw))
    attachments: list[tuple[str, str, bytes]] = []
    for item in raw:
        content_type_for(item.get("FileName"))  # refuses anything but a file name
        name: str = item["FileName"]
        if item.get("FileURL"):
            raise Refusal(
                "UnsupportedOperation",
                "Attachments by FileURL are not available: send the file in Content, base64.",
                PARAM,
            )
        if item.get("Content") is None:
            raise Refusal(
                "InvalidParameterValue.AttachContentIsWrong",
                f"Attachment {name!r} has no Content.",
                PARAM,
            )
        content = decode_base64(item["Content"])
        if content is None:
            raise Refusal(
                "InvalidParameterValue.AttachContentIsWrong",
                f"The Content of attachment {name!r} is not valid base64.",
                PARAM,
            )
        attachments.append(check_attachment(name, content))
    return attachments
