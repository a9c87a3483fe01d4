"""Handler of the `text-models` API: two models behind one endpoint (Cortex 0.34, TensorFlow handler, AsyncAPI).

The payload names the model (`handler.models.paths` in cortex.yaml):
    {"model": "sentiment", "text": "I love this movie"}
        -> {"model": "sentiment", "label": "positive", "score": 0.9526}
    {"model": "generator", "prompt": "Once upon a time"}
        -> {"model": "generator", "text": "Once upon a time and they all ..."}
`"version"` may pin a model version ("latest" by default).

Signatures (`serving_default`): sentiment takes `text` (string, [batch]) and
returns `probabilities` (float, [batch, 2]); generator takes `prompt`
(string, [batch]) and returns `text` (string, [batch]). Cortex returns TF
Serving's outputs as flat lists, with strings base64-encoded (protobuf's JSON
form of bytes). Written for the handler image's Python 3.6.
"""

import base64


class Handler:
    def __init__(self, tensorflow_client, config):
        self.client = tensorflow_client
        # handler.config in cortex.yaml: the sentiment classes, in the order of the model's outputs
        self.sentiment_labels = config.get("sentiment_labels", ["negative", "positive"])

    def handle_async(self, payload, request_id):
        if not isinstance(payload, dict):
            raise ValueError('send a JSON object with a "model" key')
        model = payload.get("model")
        version = str(payload.get("version", "latest"))
        if model == "sentiment":
            return self.sentiment(payload, version)
        if model == "generator":
            return self.generate(payload, version)
        raise ValueError('"model" must be "sentiment" or "generator", got {!r}'.format(model))

    def sentiment(self, payload, version):
        text = _required(payload, "text")
        prediction = self.client.predict({"text": [text]}, "sentiment", version)
        probabilities = [float(p) for p in prediction["probabilities"]]
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        return {
            "model": "sentiment",
            "label": self.sentiment_labels[best],
            "score": round(probabilities[best], 4),
        }

    def generate(self, payload, version):
        prompt = _required(payload, "prompt")
        prediction = self.client.predict({"prompt": [prompt]}, "generator", version)
        text = base64.b64decode(prediction["text"][0]).decode("utf-8")
        return {"model": "generator", "text": text}


def _required(payload, key):
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError('"{}" must be a non-empty string'.format(key))
    return value
