"""What a web process does once, before its first request.

It builds what every request needs and would otherwise build on a worker's first
requests (the AWS clients, each model's DynamoDB connection, the compiled templates),
then moves everything alive at that point out of the garbage collector's reach
(``gc.freeze``). Those objects (Django, botocore's service descriptions, the
templates) live as long as the process; without this, every full collection walks
them all again: pauses of up to 200 ms measured on a watch or home page, which is what
a busy page's slowest requests were made of.
"""

import gc
import logging

from django.template import TemplateDoesNotExist
from django.template.loader import get_template

logger = logging.getLogger(__name__)

# The pages most requests render (loading one loads what it extends and includes).
TEMPLATES = (
    "videos_app/home.html",
    "videos_app/watch.html",
    "videos_app/_watch_main.html",
    "videos_app/_video_grid.html",
    "channels_app/channel_page.html",
    "social_app/_comments.html",
    "social_app/_comment_threads.html",
    "social_app/_comment_actions.html",
    "social_app/_like_button.html",
    "social_app/_subscribe_button.html",
    "social_app/_bell.html",
)


def ready_for_requests() -> None:
    from videoplatform.aws import dynamodb_client, s3_client, s3_presign_client
    from videoplatform.dynamodb import registered_models

    dynamodb_client(), s3_client(), s3_presign_client()
    for model in registered_models():
        model._get_connection().connection.client  # noqa: B018 - built here, not later
    for name in TEMPLATES:
        try:
            get_template(name)
        except TemplateDoesNotExist:  # a page renamed: nothing to prepare
            logger.warning("template %s not found while preparing the process", name)
    gc.collect()
    gc.freeze()
