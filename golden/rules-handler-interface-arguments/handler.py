class Handler:
    def __init__(self, tensorflow_client, settings):
        self.client = tensorflow_client

    def handle_async(self, payload, request_id, headers):
        return self.client.predict(payload)
