//! The handler file the tests' projects carry: the TensorFlow handler
//! interface Cortex's worker checks before it serves
//! (`ASYNC_TENSORFLOW_HANDLER_VALIDATION`, `lib/api/async_api.py:53-66`).

pub const HANDLER_PY: &str = "class Handler:\n    def __init__(self, tensorflow_client, config):\n        self.client = tensorflow_client\n\n    def handle_async(self, payload):\n        return self.client.predict(payload)\n";
