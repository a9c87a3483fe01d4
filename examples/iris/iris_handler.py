"""Handler of the `iris-classifier` API: Cortex 0.34, TensorFlow handler, AsyncAPI.

Payload (JSON), one flower's measurements in cm:
    {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
Result:
    {"label": "setosa", "probabilities": {"setosa": 0.99, "versicolor": 0.0, "virginica": 0.0}}

The model's `serving_default` signature takes the four measurements as float
vectors (a batch) and returns `class_ids` (int64, [batch, 1]) and
`probabilities` (float, [batch, 3]). Cortex returns TF Serving's outputs as
flat lists, with int64 values as strings (protobuf's JSON form). Written for
the handler image's Python 3.6.
"""

import os

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


class Handler:
    def __init__(self, tensorflow_client, config):
        self.client = tensorflow_client
        # handler.env in cortex.yaml: the class names, in the order of the model's class ids
        self.labels = os.environ["LABELS"].split(",")

    def handle_async(self, payload, request_id):
        if not isinstance(payload, dict):
            raise ValueError("send a JSON object with the keys " + ", ".join(FEATURES))
        missing = [name for name in FEATURES if name not in payload]
        if missing:
            raise ValueError("missing measurements: " + ", ".join(missing))

        # one flower: a batch of one for each input
        model_input = {name: [float(payload[name])] for name in FEATURES}
        prediction = self.client.predict(model_input)

        class_id = int(prediction["class_ids"][0])
        probabilities = [round(float(p), 4) for p in prediction["probabilities"]]
        return {
            "label": self.labels[class_id],
            "probabilities": dict(zip(self.labels, probabilities)),
        }
