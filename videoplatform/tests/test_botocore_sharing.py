"""Every PynamoDB connection in a process builds its client from one botocore session,
so the DynamoDB service description is loaded once, not once per model."""

import threading

from pynamodb.connection.base import Connection

from videoplatform.botocore_sharing import shared_session
from videoplatform.dynamodb import registered_models


def test_every_model_uses_the_one_session():
    sessions = {id(m._get_connection().connection.session) for m in registered_models()}
    assert sessions == {id(shared_session())}
    assert len(registered_models()) >= 16


def test_the_service_description_is_loaded_once():
    """Two models' clients hold the very same parsed DynamoDB description (the shared
    session's loader cache), where separate sessions would each parse their own."""
    first, second = registered_models()[:2]
    one = first._get_connection().connection.client.meta.service_model
    other = second._get_connection().connection.client.meta.service_model
    assert one._service_description is other._service_description


def test_clients_made_in_many_threads_at_once_all_work():
    connections = [Connection(region="us-east-1", host="http://127.0.0.1:1") for _ in range(16)]
    clients, errors = [], []
    barrier = threading.Barrier(len(connections))

    def make(connection):
        barrier.wait()
        try:
            clients.append(connection.client)
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=make, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len({id(c) for c in clients}) == len(connections)
