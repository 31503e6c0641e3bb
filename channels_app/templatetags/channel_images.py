"""What the channel editor says and shows about avatars and banners
(channels_app.images holds the numbers)."""

from django import template

from channels_app import images

register = template.Library()


@register.simple_tag
def image_guidance(kind: str) -> str:
    """What to upload for ``kind``, in words ("Banner: at least …")."""
    return images.image_guidance(kind)
