"""Set ``request.user`` lazily, so pages that never look at it cost no DynamoDB read."""

from django.utils.functional import SimpleLazyObject

from channels_app.auth.sessions import user_from_session


class CurrentUserMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = SimpleLazyObject(lambda: user_from_session(request))
        return self.get_response(request)
