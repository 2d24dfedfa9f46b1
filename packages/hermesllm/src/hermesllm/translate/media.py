"""Data URLs and media types shared by the request translators."""

from typing import Literal

from hermesllm.errors import UnsupportedConversionError
from hermesllm.translate.conversation import Media

__all__ = [
    "DEFAULT_IMAGE_TYPE",
    "data_url",
    "document_format",
    "guess_media_type",
    "media_from_url",
    "short_format",
]

DEFAULT_IMAGE_TYPE = "image/jpeg"

_IMAGE_TYPES_BY_EXTENSION = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
}
_DOCUMENT_FORMATS = {
    "application/pdf": "pdf",
    "text/csv": "csv",
    "text/html": "html",
    "text/plain": "txt",
    "text/markdown": "md",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


def media_from_url(url: str, kind: Literal["image", "document"] = "image", name: str = "") -> Media:
    """A `data:<type>;base64,<data>` URL becomes inline data; any other URL stays a URL."""
    if url.startswith("data:"):
        header, sep, data = url.partition(",")
        if not sep:
            raise UnsupportedConversionError("a data URL has no ',' before its data")
        media_type = header[5:].split(";", 1)[0] or DEFAULT_IMAGE_TYPE
        if not header.endswith(";base64"):
            raise UnsupportedConversionError("only base64 data URLs are supported")
        return Media(kind, media_type, data=data, name=name)
    return Media(kind, guess_media_type(url), url=url, name=name)


def guess_media_type(url: str) -> str:
    """The media type a URL's file extension suggests (default image/jpeg)."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    extension = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return _IMAGE_TYPES_BY_EXTENSION.get(extension, DEFAULT_IMAGE_TYPE)


def data_url(media: Media) -> str:
    """The `data:` URL of inline media, or its plain URL."""
    if media.url:
        return media.url
    return f"data:{media.media_type};base64,{media.data}"


def short_format(media_type: str) -> str:
    """`image/png` → `png` (Bedrock image formats)."""
    return media_type.rsplit("/", 1)[-1].lower()


def document_format(media_type: str) -> str:
    """A Bedrock document format for a media type."""
    found = _DOCUMENT_FORMATS.get(media_type)
    if found is None:
        raise UnsupportedConversionError(f"Bedrock cannot take a document of type {media_type!r}")
    return found
