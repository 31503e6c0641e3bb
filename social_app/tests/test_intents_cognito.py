"""With Cognito managed login, the intent rides in the session across the redirect and is
done by the callback."""

from urllib.parse import parse_qs, urlencode, urlsplit

from channels_app.auth import backends
from channels_app.selectors import user_get
from channels_app.tests.test_cognito import (  # the local Cognito stand-in and key
    fake,  # noqa: F401 - fixture
    fake_server,  # noqa: F401 - fixture
    make_claims,
    primary_key,  # noqa: F401 - fixture
    sign,
)
from channels_app.tests.test_cognito_login import cognito_settings  # noqa: F401 - fixture
from social_app.selectors import watch_state
from social_app.tests.factories import make_ready_video
from videos_app.selectors import video_get


def test_like_intent_is_done_after_the_cognito_callback(client, cognito_settings, primary_key):  # noqa: F811
    video = make_ready_video(title="Cloud walk")
    watch = f"/watch/{video.video_id}/"
    start = client.get(
        "/accounts/login/?" + urlencode({"next": watch, "intent": f"like:{video.video_id}"})
    )
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    sub = "sub-" + state[:8]
    cognito_settings.token_body["id_token"] = sign(
        make_claims(backends.cognito_config(), sub=sub, email=f"{sub}@example.com"), primary_key
    )

    response = client.get(f"/accounts/cognito/callback/?code=abc&state={state}")

    assert response.status_code == 302 and response["Location"] == watch
    user = user_get(f"cognito-{sub}")
    assert watch_state(video=video_get(video.video_id, consistent=True), user=user).liked
