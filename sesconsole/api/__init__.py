"""The Tencent-compatible API gateway at `/`: TC3 signatures, the envelope and its error
codes, parameter checking against api.json, and the registry apps add actions to."""
