/* SPDX-License-Identifier: MIT */
/* control/base/chains.c - the built-in chains as data (see chains.h for
 * where each value comes from). The bootnode texts are geth's, split only
 * to fit the line length. */
#include "control/base/chains.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const mainnet_v4[] = {
	"enr:-KG4QCF1Mj32xpKHjinNb6ocCtMZG6IR_tyF5dkio5Hkek7zVbT6MM5e"
		"JwhjJFdiksQl51T33IRgryE0XLXiy1QOqsUBgmlkgnY0gmlwhNRj2kKDaXA2"
		"kCoAHKALAA0CAAAAAAAAAF6Jc2VjcDI1NmsxoQLKlnQYuhZRBTA8-7cz37kr"
		"_KuA1lAJ1eXxWMjp5fLJB4N1ZHCCTreEdWRwNoJOtw",
	"enr:-KG4QMHihBfLI_tpXLWmfTi28HItJa4wDADDAaVjkfSELAb0BajqVWXM"
		"2GEMds5J63SCkpDRlqct5E8ftfQi4U93pigBgmlkgnY0gmlwhIHUpj2DaXA2"
		"kCYEqIAABAHQAAAAA2GdUACJc2VjcDI1NmsxoQLeQmW8OMuoUIoUImNW-r9I"
		"C4jaiAwZ2knfV4BqWyQvKoN1ZHCCdl-EdWRwNoJ2Xw",
	"enr:-KG4QKsHcKQvIX8UPbJgw2cIEP_9EislF1srNGdYom4dcSsobt-92iED"
		"NkHTt9dcdKXHaDMVbCM8QQ4V1RP8HcExLDsBgmlkgnY0gmlwhJB-_BiDaXA2"
		"kCQAYYABAADQAAAAAYEgYAGJc2VjcDI1NmsxoQILdc6UClD5s_N8-hYhIGQt"
		"FqRYR3Qxf9qgLQ7sj4qvEYN1ZHCCdl-EdWRwNoJ2Xw",
	"enr:-KG4QFplptv1jVEhFeNNxRN7qe5p9rAGGlMeNnmGvUJV23W4Kr8hmiSz"
		"dWjZZHFqwi7nOuQrM32VO6uHBORXOdLG98gBgmlkgnY0gmlwhLKc14yDaXA2"
		"kCoBBP8A9DxKAAAAAAAAAAGJc2VjcDI1NmsxoQMBRycp4yiHbGzOqZPPMmuK"
		"Gslp1NpOrFf_predLYM4-oN1ZHCCdl-EdWRwNoJ2Xw",
	"enr:-KG4QGY74qTrst5NbQDAMIF8B7jEC8CMBSo6C5Ljea5I4PxYV1VSYdsG"
		"UqqIBlOYRBfwhl6YpEyvvvZOqNCa4dvmSXgBgmlkgnY0gmlwhAXfXlGDaXA2"
		"kCoBBP8C8BytAAAAAAAAAAGJc2VjcDI1NmsxoQIMlJp7yNcblauYicEeSBpH"
		"QzFAk9Wg3lhx3ie9gpTohIN1ZHCCdl-EdWRwNoJ2Xw",
	"enode://d860a01f9722d78051619d1e2351aba3f43f943f6f00718d1b9b"
		"aa4101932a1f5011f16bb2b1bb35db20d6fe28fa0bf09636d26a87d31de9"
		"ec6203eeedb1f666@18.138.108.67:30303",
	"enode://22a8232c3abc76a16ae9d6c3b164f98775fe226f0917b0ca8711"
		"28a74a8e9630b458460865bab457221f1d448dd9791d24c4e5d88786180a"
		"c185df813a68d4de@3.209.45.79:30303",
	"enode://2b252ab6a1d0f971d9722cb839a42cb81db019ba44c08754628a"
		"b4a823487071b5695317c8ccd085219c3a03af063495b2f1da8d18218da2"
		"d6a82981b45e6ffc@65.108.70.101:30303",
	"enode://4aeb4ab6c14b23e2c4cfdce879c04b0748a20d8e9b59e25ded2a"
		"08143e265c6c25936e74cbc8e641e3312ca288673d91f2f93f8e277de3cf"
		"a444ecdaaf982052@157.90.35.166:30303",
};

static const char *const sepolia_v4[] = {
	"enr:-KG4QHn1Os72NN5Z44Ehf9CHPmN490GBphTFirfk33pFuWnkY9UNrQMf"
		"HkuCw6a-ykeRhGKrPL5ppMXiZQchgPrCDJQBgmlkgnY0gmlwhNRj2kKDaXA2"
		"kCoAHKALAA0CAAAAAAAAAF6Jc2VjcDI1NmsxoQJK_ye9jx9mela-ME_Kt5e0"
		"17Ywv3hYH_5rwNhIUrtzNoN1ZHCCTriEdWRwNoJOuA",
	"enr:-KG4QCpiRltiyX7LgozCkQ8XBrcDzejBXbE7YRUQFmIEgv46SC8B4CJL"
		"cOO3O2bH-_u-B242GTzO_hQPhv3rpyvAHXMBgmlkgnY0gmlwhIHUpj2DaXA2"
		"kCYEqIAABAHQAAAAA2GdUACJc2VjcDI1NmsxoQNmVWXve5c0uvsn_agjTKQ8"
		"pR6gl9DynZyTQNruBDfJ4YN1ZHCCdsOEdWRwNoJ2ww",
	"enr:-KG4QJUWvc8qvCUr7x-qCFWee6HPLgmRUfVn-M_yqXD-sjSoAalKCV3N"
		"gUhmlqozjTJIj_nPr7J_uT8WJwbWiIx3Cv4BgmlkgnY0gmlwhJB-_BiDaXA2"
		"kCQAYYABAADQAAAAAYEgYAGJc2VjcDI1NmsxoQKOQetrA-97TELUzuGegVD1"
		"_cHKKNnjOmJ9CYdeSTor7YN1ZHCCdsOEdWRwNoJ2ww",
	"enr:-KG4QIBsIiST0JBBvgSNxvHQOeH5PkRgWeufahVXYQQWj7GLYPFDsviu"
		"Q6qU-3Xx4qnARaZiI-qqVRyw_2qqmOKRY1UBgmlkgnY0gmlwhLKc14yDaXA2"
		"kCoBBP8A9DxKAAAAAAAAAAGJc2VjcDI1NmsxoQKx4n3wy0KtwnuZCHmlxMmc"
		"4b0VvfC4Ka_f3sUPvjUq1oN1ZHCCdsOEdWRwNoJ2ww",
	"enr:-KG4QPM5C6wuTxu5yk4jkI9Mm64iSUKMPNt8y8kmoFzOlYrnYV4SBeZK"
		"7UiS4YWrkX4y2FD9_eH7xiPGvLQ-nXoXIcYBgmlkgnY0gmlwhAXfXlGDaXA2"
		"kCoBBP8C8BytAAAAAAAAAAGJc2VjcDI1NmsxoQIC3FMD8Si9DIBVofsSbJkp"
		"vXTUAfyi8q66XXQgjRhUsIN1ZHCCdsOEdWRwNoJ2ww",
	"enode://4e5e92199ee224a01932a377160aa432f31d0b351f84ab413a8e"
		"0a42f4f36476f8fb1cbe914af0d9aef0d51665c214cf653c651c4bbd9d55"
		"50a934f241f1682b@138.197.51.181:30303",
	"enode://143e11fb766781d22d92a2e33f8f104cddae4411a122295ed1fd"
		"b6638de96a6ce65f5b7c964ba3763bba27961738fef7d3ecc739268f3e5e"
		"771fb4c87b6234ba@146.190.1.103:30303",
	"enode://8b61dc2d06c3f96fddcbebb0efb29d60d3598650275dc469c222"
		"29d3e5620369b0d3dedafd929835fe7f489618f19f456fe7c0df572bf2d9"
		"14a9f4e006f783a9@170.64.250.88:30303",
	"enode://10d62eff032205fcef19497f35ca8477bea0eadfff6d769a147e"
		"895d8b2b8f8ae6341630c645c30f5df6e67547c03494ced3d9c5764e8622"
		"a26587b083b028e8@139.59.49.206:30303",
	"enode://9e9492e2e8836114cc75f5b929784f4f46c324ad01daf87d956f"
		"98b3b6c5fcba95524d6e5cf9861dc96a2c8a171ea7105bb554a197455058"
		"de185fa870970c7c@138.68.123.152:30303",
};

static const char *const holesky_v4[] = {
	"enode://ac906289e4b7f12df423d654c5a962b6ebe5b3a74cc9e06292a8"
		"5221f9a64a6f1cfdd6b714ed6dacef51578f92b34c60ee91e9ede9c7f8fa"
		"dc4d347326d95e2b@146.190.13.128:30303",
	"enode://a3435a0155a3e837c02f5e7f5662a2f1fbc25b48e4dc232016e1"
		"c51b544cb5b4510ef633ea3278c0e970fa8ad8141e2d4d0f9f95456c537f"
		"f05fdf9b31c15072@178.128.136.233:30303",
};

static const char *const hoodi_v4[] = {
	"enr:-KG4QHqPRT-PQyT1l2-DzAJ4WiSGWDbLvzqV8umrSRmBVvzfaYAIjswg"
		"IY3S4iZFBtOGGdFeUXh5uaFXI4FdN4ib-S0BgmlkgnY0gmlwhNRj2kKDaXA2"
		"kCoAHKALAA0CAAAAAAAAAF6Jc2VjcDI1NmsxoQNwurkRdfm7zrv78VVkT0bA"
		"PtRO9JJ9gW42Abpf0y96JIN1ZHCCTrmEdWRwNoJOuQ",
	"enr:-KG4QO3rOpovULG1tqfd5prt30FBF_0_dbh6z13W1CS94yZvObO3BDat"
		"F6v_5p0Fol4ayvf32rtLy9IoeIrllRNO6mEBgmlkgnY0gmlwhIHUpj2DaXA2"
		"kCYEqIAABAHQAAAAA2GdUACJc2VjcDI1NmsxoQKv1QQH20VixQSfOvSJdDok"
		"tzLLpq8hleYiBb5ZrmRaoIN1ZHCCdyeEdWRwNoJ3Jw",
	"enr:-KG4QK3lmOaDQ5f-OLtwBQDwZZwORygbjDKbSWR79YFuQBQMbdStUfUK"
		"BucPPB8BW2mIZPcAHmsKan6HK9_CLv1ntfsBgmlkgnY0gmlwhJB-_BiDaXA2"
		"kCQAYYABAADQAAAAAYEgYAGJc2VjcDI1NmsxoQL3h68BwVT7D-gnmNXHLKge"
		"Pyp4l5ikdqbJPaesuz9YAIN1ZHCCdyeEdWRwNoJ3Jw",
	"enr:-KG4QC1VbcxVmJVOBrQFyaTshr7kGgI8_IgGhkXMlPGQN6ijWpc72mLF"
		"R9qx6islo-bcG5gcfJDBA85Pjjk3zXdhsckBgmlkgnY0gmlwhLKc14yDaXA2"
		"kCoBBP8A9DxKAAAAAAAAAAGJc2VjcDI1NmsxoQJxxADpm6ox6R2Op72lhQ7x"
		"Q7nalLB0E9vUwchMS1_EdIN1ZHCCdyeEdWRwNoJ3Jw",
	"enr:-KG4QACXfYMzVZrG5YGEM6JoAyALZrmSG_0rtTtRQK3Z7q3TUYgb1gqE"
		"byXfA07HpqJq9i4ZaG1EmRwgZbwNFIa9M8gBgmlkgnY0gmlwhAXfXlGDaXA2"
		"kCoBBP8C8BytAAAAAAAAAAGJc2VjcDI1NmsxoQOBqr1yI_NF5xO381XMdmgL"
		"qOw6ewmPEAZVpGfkBJETWIN1ZHCCdyeEdWRwNoJ3Jw",
	"enode://2112dd3839dd752813d4df7f40936f06829fc54c0e051a93967c"
		"26e5f5d27d99d886b57b4ffcc3c475e930ec9e79c56ef1dbb7d86ca5ee83"
		"a9d2ccf36e5c240c@134.209.138.84:30303",
	"enode://60203fcb3524e07c5df60a14ae1c9c5b24023ea5d47463dfae05"
		"1d2c9f3219f309657537576090ca0ae641f73d419f53d8e8000d7a464319"
		"d4784acd7d2abc41@209.38.124.160:30303",
	"enode://8ae4a48101b2299597341263da0deb47cc38aa4d3ef4b7430b89"
		"7d49bfa10eb1ccfe1655679b1ed46928ef177fbf21b86837bd724400196c"
		"508427a6f41602cd@134.199.184.23:30303",
};

static const char *const v5_all[] = {
	"enr:-KG4QMOEswP62yzDjSwWS4YEjtTZ5PO6r65CPqYBkgTTkrpaedQ8uEUo"
		"1uMALtJIvb2w_WWEVmg5yt1UAuK1ftxUU7QDhGV0aDKQu6TalgMAAAD_____"
		"_____4JpZIJ2NIJpcIQEnfA2iXNlY3AyNTZrMaEDfol8oLr6XJ7FsdAYE7lp"
		"JhKMls4G_v6qQOGKJUWGb_uDdGNwgiMog3VkcIIjKA",
	"enr:-KG4QF4B5WrlFcRhUU6dZETwY5ZzAXnA0vGC__L1Kdw602nDZwXSTs5R"
		"FXFIFUnbQJmhNGVU6OIX7KVrCSTODsz1tK4DhGV0aDKQu6TalgMAAAD_____"
		"_____4JpZIJ2NIJpcIQExNYEiXNlY3AyNTZrMaECQmM9vp7KhaXhI-nqL_R0"
		"ovULLCFSFTa9CPPSdb1zPX6DdGNwgiMog3VkcIIjKA",
	"enr:-Ku4QImhMc1z8yCiNJ1TyUxdcfNucje3BGwEHzodEZUan8PherEo4sF7"
		"pPHPSIB1NNuSg5fZy7qFsjmUKs2ea1Whi0EBh2F0dG5ldHOIAAAAAAAAAACE"
		"ZXRoMpD1pf1CAAAAAP__________gmlkgnY0gmlwhBLf22SJc2VjcDI1Nmsx"
		"oQOVphkDqal4QzPMksc5wnpuC3gvSC8AfbFOnZY_On34wIN1ZHCCIyg",
	"enr:-Ku4QP2xDnEtUXIjzJ_DhlCRN9SN99RYQPJL92TMlSv7U5C1YnYLjwOQ"
		"HgZIUXw6c-BvRg2Yc2QsZxxoS_pPRVe0yK8Bh2F0dG5ldHOIAAAAAAAAAACE"
		"ZXRoMpD1pf1CAAAAAP__________gmlkgnY0gmlwhBLf22SJc2VjcDI1Nmsx"
		"oQMeFF5GrS7UZpAH2Ly84aLK-TyvH-dRo0JM1i8yygH50YN1ZHCCJxA",
	"enr:-Ku4QPp9z1W4tAO8Ber_NQierYaOStqhDqQdOPY3bB3jDgkjcbk6YrEn"
		"VYIiCBbTxuar3CzS528d2iE7TdJsrL-dEKoBh2F0dG5ldHOIAAAAAAAAAACE"
		"ZXRoMpD1pf1CAAAAAP__________gmlkgnY0gmlwhBLf22SJc2VjcDI1Nmsx"
		"oQMw5fqqkw2hHC4F5HZZDPsNmPdB1Gi8JPQK7pRc9XHh-oN1ZHCCKvg",
	"enr:-Le4QPUXJS2BTORXxyx2Ia-9ae4YqA_JWX3ssj4E_J-3z1A-HmFGrU8B"
		"pvpqhNabayXeOZ2Nq_sbeDgtzMJpLLnXFgAChGV0aDKQtTA_KgEAAAAAIgEA"
		"AAAAAIJpZIJ2NIJpcISsaa0Zg2lwNpAkAIkHAAAAAPA8kv_-awoTiXNlY3Ay"
		"NTZrMaEDHAD2JKYevx89W0CcFJFiskdcEzkH_Wdv9iW42qLK79ODdWRwgiMo"
		"hHVkcDaCI4I",
	"enr:-Le4QLHZDSvkLfqgEo8IWGG96h6mxwe_PsggC20CL3neLBjfXLGAQFOP"
		"SltZ7oP6ol54OvaNqO02Rnvb8YmDR274uq8ChGV0aDKQtTA_KgEAAAAAIgEA"
		"AAAAAIJpZIJ2NIJpcISLosQxg2lwNpAqAX4AAAAAAPA8kv_-ax65iXNlY3Ay"
		"NTZrMaEDBJj7_dLFACaxBfaI8KZTh_SSJUjhyAyfshimvSqo22WDdWRwgiMo"
		"hHVkcDaCI4I",
	"enr:-Le4QH6LQrusDbAHPjU_HcKOuMeXfdEB5NJyXgHWFadfHgiySqeDyusQ"
		"MvfphdYWOzuSZO9Uq2AMRJR5O4ip7OvVma8BhGV0aDKQtTA_KgEAAAAAIgEA"
		"AAAAAIJpZIJ2NIJpcISLY9ncg2lwNpAkAh8AgQIBAAAAAAAAAAmXiXNlY3Ay"
		"NTZrMaECDYCZTZEksF-kmgPholqgVt8IXr-8L7Nu7YrZ7HUpgxmDdWRwgiMo"
		"hHVkcDaCI4I",
	"enr:-Le4QIqLuWybHNONr933Lk0dcMmAB5WgvGKRyDihy1wHDIVlNuuztX62"
		"W51voT4I8qD34GcTEOTmag1bcdZ_8aaT4NUBhGV0aDKQtTA_KgEAAAAAIgEA"
		"AAAAAIJpZIJ2NIJpcISLY04ng2lwNpAkAh8AgAIBAAAAAAAAAA-fiXNlY3Ay"
		"NTZrMaEDscnRV6n1m-D9ID5UsURk0jsoKNXt1TIrj8uKOGW6iluDdWRwgiMo"
		"hHVkcDaCI4I",
	"enr:-KG4QCF1Mj32xpKHjinNb6ocCtMZG6IR_tyF5dkio5Hkek7zVbT6MM5e"
		"JwhjJFdiksQl51T33IRgryE0XLXiy1QOqsUBgmlkgnY0gmlwhNRj2kKDaXA2"
		"kCoAHKALAA0CAAAAAAAAAF6Jc2VjcDI1NmsxoQLKlnQYuhZRBTA8-7cz37kr"
		"_KuA1lAJ1eXxWMjp5fLJB4N1ZHCCTreEdWRwNoJOtw",
	"enr:-KG4QMHihBfLI_tpXLWmfTi28HItJa4wDADDAaVjkfSELAb0BajqVWXM"
		"2GEMds5J63SCkpDRlqct5E8ftfQi4U93pigBgmlkgnY0gmlwhIHUpj2DaXA2"
		"kCYEqIAABAHQAAAAA2GdUACJc2VjcDI1NmsxoQLeQmW8OMuoUIoUImNW-r9I"
		"C4jaiAwZ2knfV4BqWyQvKoN1ZHCCdl-EdWRwNoJ2Xw",
	"enr:-KG4QKsHcKQvIX8UPbJgw2cIEP_9EislF1srNGdYom4dcSsobt-92iED"
		"NkHTt9dcdKXHaDMVbCM8QQ4V1RP8HcExLDsBgmlkgnY0gmlwhJB-_BiDaXA2"
		"kCQAYYABAADQAAAAAYEgYAGJc2VjcDI1NmsxoQILdc6UClD5s_N8-hYhIGQt"
		"FqRYR3Qxf9qgLQ7sj4qvEYN1ZHCCdl-EdWRwNoJ2Xw",
	"enr:-KG4QFplptv1jVEhFeNNxRN7qe5p9rAGGlMeNnmGvUJV23W4Kr8hmiSz"
		"dWjZZHFqwi7nOuQrM32VO6uHBORXOdLG98gBgmlkgnY0gmlwhLKc14yDaXA2"
		"kCoBBP8A9DxKAAAAAAAAAAGJc2VjcDI1NmsxoQMBRycp4yiHbGzOqZPPMmuK"
		"Gslp1NpOrFf_predLYM4-oN1ZHCCdl-EdWRwNoJ2Xw",
	"enr:-KG4QGY74qTrst5NbQDAMIF8B7jEC8CMBSo6C5Ljea5I4PxYV1VSYdsG"
		"UqqIBlOYRBfwhl6YpEyvvvZOqNCa4dvmSXgBgmlkgnY0gmlwhAXfXlGDaXA2"
		"kCoBBP8C8BytAAAAAAAAAAGJc2VjcDI1NmsxoQIMlJp7yNcblauYicEeSBpH"
		"QzFAk9Wg3lhx3ie9gpTohIN1ZHCCdl-EdWRwNoJ2Xw",
	"enr:-Ku4QHqVeJ8PPICcWk1vSn_XcSkjOkNiTg6Fmii5j6vUQgvzMc9L1goF"
		"nLKgXqBJspJjIsB91LTOleFmyWWrFVATGngBh2F0dG5ldHOIAAAAAAAAAACE"
		"ZXRoMpC1MD8qAAAAAP__________gmlkgnY0gmlwhAMRHkWJc2VjcDI1Nmsx"
		"oQKLVXFOhp2uX6jeT0DvvDpPcU8FWMjQdR4wMuORMhpX24N1ZHCCIyg",
	"enr:-Ku4QG-2_Md3sZIAUebGYT6g0SMskIml77l6yR-M_JXc-UdNHCmHQeOi"
		"MLbylPejyJsdAPsTHJyjJB2sYGDLe0dn8uYBh2F0dG5ldHOIAAAAAAAAAACE"
		"ZXRoMpC1MD8qAAAAAP__________gmlkgnY0gmlwhBLY-NyJc2VjcDI1Nmsx"
		"oQORcM6e19T1T9gi7jxEZjk_sjVLGFscUNqAY9obgZaxbIN1ZHCCIyg",
	"enr:-Ku4QPn5eVhcoF1opaFEvg1b6JNFD2rqVkHQ8HApOKK61OIcIXD127bK"
		"WgAtbwI7pnxx6cDyk_nI88TrZKQaGMZj0q0Bh2F0dG5ldHOIAAAAAAAAAACE"
		"ZXRoMpC1MD8qAAAAAP__________gmlkgnY0gmlwhDayLMaJc2VjcDI1Nmsx"
		"oQK2sBOLGcUb4AwuYzFuAVCaNHA-dy24UuEKkeFNgCVCsIN1ZHCCIyg",
	"enr:-Ku4QEWzdnVtXc2Q0ZVigfCGggOVB2Vc1ZCPEc6j21NIFLODSJbvNaef"
		"1g4PxhPwl_3kax86YPheFUSLXPRs98vvYsoBh2F0dG5ldHOIAAAAAAAAAACE"
		"ZXRoMpC1MD8qAAAAAP__________gmlkgnY0gmlwhDZBrP2Jc2VjcDI1Nmsx"
		"oQM6jr8Rb1ktLEsVcKAPa08wCsKUmvoQ8khiOl_SLozf9IN1ZHCCIyg",
	"enr:-LK4QA8FfhaAjlb_BXsXxSfiysR7R52Nhi9JBt4F8SPssu8hdE1BXQQE"
		"tVDC3qStCW60LSO7hEsVHv5zm8_6Vnjhcn0Bh2F0dG5ldHOIAAAAAAAAAACE"
		"ZXRoMpC1MD8qAAAAAP__________gmlkgnY0gmlwhAN4aBKJc2VjcDI1Nmsx"
		"oQJerDhsJ-KxZ8sHySMOCmTO6sHM3iCFQ6VMvLTe948MyYN0Y3CCI4yDdWRw"
		"giOM",
	"enr:-LK4QKWrXTpV9T78hNG6s8AM6IO4XH9kFT91uZtFg1GcsJ6dKovDOr1j"
		"tAAFPnS2lvNltkOGA9k29BUN7lFh_sjuc9QBh2F0dG5ldHOIAAAAAAAAAACE"
		"ZXRoMpC1MD8qAAAAAP__________gmlkgnY0gmlwhANAdd-Jc2VjcDI1Nmsx"
		"oQLQa6ai7y9PMN5hpLe5HmiJSlYzMuzP7ZhwRiwHvqNXdoN0Y3CCI4yDdWRw"
		"giOM",
};

/* geth params/bootnodes.go dnsPrefix + "all." + network + ".ethdisco.net" */
#define DNS_PREFIX \
	"enrtree://AKA3AM6LPBYEUDMVNU3BSVQJ5AD45Y7YPOHJLEF6W26QOE4VTUDPE@"

static const struct chains_preset presets[] = {
	{
		.name = "mainnet",
		.network_id = 1,
		.genesis = {
			0xd4, 0xe5, 0x67, 0x40, 0xf8, 0x76, 0xae, 0xf8,
			0xc0, 0x10, 0xb8, 0x6a, 0x40, 0xd5, 0xf5, 0x67,
			0x45, 0xa1, 0x18, 0xd0, 0x90, 0x6a, 0x34, 0xe6,
			0x9a, 0xec, 0x8c, 0x0d, 0xb1, 0xcb, 0x8f, 0xa3,
		},
		.genesis_time = 0,
		/* Homestead, DAO, EIP150, EIP155/158, Byzantium,
		 * Constantinople/Petersburg, Istanbul, Muir Glacier, Berlin,
		 * London, Arrow Glacier, Gray Glacier. */
		.block_forks = { 1150000, 1920000, 2463000, 2675000, 4370000,
				 7280000, 9069000, 9200000, 12244000,
				 12965000, 13773000, 15050000 },
		.n_block = 12,
		/* Shanghai, Cancun, Prague, Osaka, BPO1, BPO2. */
		.time_forks = { 1681338455, 1710338135, 1746612311,
				1764798551, 1765290071, 1767747671 },
		.n_time = 6,
		.bootnodes = mainnet_v4,
		.n_bootnodes = N(mainnet_v4),
		.bootnodes_v5 = v5_all,
		.n_bootnodes_v5 = N(v5_all),
		.dns = DNS_PREFIX "all.mainnet.ethdisco.net",
	},
	{
		.name = "sepolia",
		.network_id = 11155111,
		.genesis = {
			0x25, 0xa5, 0xcc, 0x10, 0x6e, 0xea, 0x71, 0x38,
			0xac, 0xab, 0x33, 0x23, 0x1d, 0x71, 0x60, 0xd6,
			0x9c, 0xb7, 0x77, 0xee, 0x0c, 0x2c, 0x55, 0x3f,
			0xcd, 0xdf, 0x51, 0x38, 0x99, 0x3e, 0x6d, 0xd9,
		},
		.genesis_time = 1633267481,
		.block_forks = { 1735371 },     /* MergeNetsplit */
		.n_block = 1,
		/* Shanghai, Cancun, Prague, Osaka, BPO1, BPO2, Amsterdam. */
		.time_forks = { 1677557088, 1706655072, 1741159776,
				1760427360, 1761017184, 1761607008,
				1791294816 },
		.n_time = 7,
		.bootnodes = sepolia_v4,
		.n_bootnodes = N(sepolia_v4),
		.bootnodes_v5 = v5_all,
		.n_bootnodes_v5 = N(v5_all),
		.dns = DNS_PREFIX "all.sepolia.ethdisco.net",
	},
	{
		.name = "holesky",
		.network_id = 17000,
		.genesis = {
			0xb5, 0xf7, 0xf9, 0x12, 0x44, 0x3c, 0x94, 0x0f,
			0x21, 0xfd, 0x61, 0x1f, 0x12, 0x82, 0x8d, 0x75,
			0xb5, 0x34, 0x36, 0x4e, 0xd9, 0xe9, 0x5c, 0xa4,
			0xe3, 0x07, 0x72, 0x9a, 0x46, 0x61, 0xbd, 0xe4,
		},
		.genesis_time = 1695902100,
		.n_block = 0,
		.time_forks = { 1696000704, 1707305664, 1740434112,
				1759308480, 1759800000, 1760389824 },
		.n_time = 6,
		.bootnodes = holesky_v4,        /* geth v1.17.0 */
		.n_bootnodes = N(holesky_v4),
		.bootnodes_v5 = v5_all,
		.n_bootnodes_v5 = N(v5_all),
		.dns = DNS_PREFIX "all.holesky.ethdisco.net",   /* v1.17.0 */
	},
	{
		.name = "hoodi",
		.network_id = 560048,
		.genesis = {
			0xbb, 0xe3, 0x12, 0x86, 0x8b, 0x37, 0x6a, 0x30,
			0x01, 0x69, 0x2a, 0x64, 0x6d, 0xd2, 0xd7, 0xd1,
			0xe4, 0x40, 0x63, 0x80, 0xdf, 0xd8, 0x6b, 0x98,
			0xaa, 0x8a, 0x34, 0xd1, 0x55, 0x7c, 0x97, 0x1b,
		},
		.genesis_time = 1742212800,
		.n_block = 0,
		/* Shanghai and Cancun at 0 are in the genesis ruleset. */
		.time_forks = { 1742999832, 1761677592, 1762365720,
				1762955544 },
		.n_time = 4,
		.bootnodes = hoodi_v4,
		.n_bootnodes = N(hoodi_v4),
		.bootnodes_v5 = v5_all,
		.n_bootnodes_v5 = N(v5_all),
		.dns = DNS_PREFIX "all.hoodi.ethdisco.net",
	},
};

const struct chains_preset *chains_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < N(presets); i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

const struct chains_preset *chains_at(size_t i)
{
	return i < N(presets) ? &presets[i] : NULL;
}

size_t chains_count(void)
{
	return N(presets);
}
