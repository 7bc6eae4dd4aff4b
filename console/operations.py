"""The GraphQL documents the console sends; values always travel as variables."""

FAILURE = """
fragment Failure on Error { code message }
"""

SESSION = """
fragment Session on SessionTokens { accessToken accessTokenExpiresAt refreshToken }
"""

SIGN_IN = (
    """
mutation SignInStaff($username: String!, $password: String!) {
  signInStaff(input: {username: $username, password: $password}) {
    __typename
    ... on StaffSession { tokens { ...Session } staff { id username displayName role } }
    ...Failure
  }
}"""
    + FAILURE
    + SESSION
)

REFRESH = (
    """
mutation RefreshSession($refreshToken: String!) {
  refreshSession(input: {refreshToken: $refreshToken}) {
    __typename
    ... on SessionTokens { ...Session }
    ...Failure
  }
}"""
    + FAILURE
    + SESSION
)

PURCHASE = "id occurredAt amount branch { id name code } items { name quantity amount }"
COMPLAINT = (
    "id category note status raisedAt raisedBy closedAt branch { name } followUps { at by note }"
)

CALL = f"""
fragment Call on HappyCall {{
  id status priority dueBy attempts
  callingHours {{ start end }}
  purchase {{ {PURCHASE} }}
  script {{
    id nameEn nameFa
    questions {{ code kind required textEn textFa choices {{ textEn textFa }} }}
  }}
  card(language: $language) {{
    memberId name phone tier points credit
    recentPurchases {{ {PURCHASE} }}
    earlierCalls {{ at outcome operatorName answers {{ question answer }} }}
    complaints {{ {COMPLAINT} }}
    recentMessages {{ at channel title body }}
    offers {{ title details ready }}
  }}
}}
"""

CLAIM_NEXT = (
    """
mutation ClaimNextHappyCall($idempotencyKey: String!, $language: Language) {
  claimNextHappyCall(input: {idempotencyKey: $idempotencyKey}) {
    __typename
    ... on HappyCallClaimed { call { ...Call } }
    ...Failure
  }
}"""
    + FAILURE
    + CALL
)

RELEASE = (
    """
mutation ReleaseHappyCall($callId: ID!) {
  releaseHappyCall(input: {callId: $callId}) { __typename ...Failure }
}"""
    + FAILURE
)

RECORD_OUTCOME = (
    """
mutation RecordHappyCallOutcome($input: RecordHappyCallOutcomeInput!) {
  recordHappyCallOutcome(input: $input) {
    __typename
    ... on HappyCallRecorded { call { id status } }
    ...Failure
  }
}"""
    + FAILURE
)

RAISE_COMPLAINT = (
    f"""
mutation RaiseComplaint($input: RaiseComplaintInput!) {{
  raiseComplaint(input: $input) {{
    __typename
    ... on ComplaintRaised {{ complaint {{ {COMPLAINT} }} }}
    ...Failure
  }}
}}"""
    + FAILURE
)

FOLLOW_UP = (
    f"""
mutation AddComplaintFollowUp($input: AddComplaintFollowUpInput!) {{
  addComplaintFollowUp(input: $input) {{
    __typename
    ... on ComplaintFollowedUp {{ complaint {{ {COMPLAINT} }} }}
    ...Failure
  }}
}}"""
    + FAILURE
)

MY_STATS = """
query MyHappyCallStats { myHappyCallStats { calls completed completionRate averageSatisfaction } }
"""

CLUB_SETTINGS = """
query ClubSettings { clubSettings { calendar timeZone currencyDisplay } }
"""

BRANCHES = """
query Branches { branches { id name code } }
"""

SUPERVISION = """
query HappyCallSupervision($from: Date!, $to: Date!, $branchId: ID, $language: Language) {
  happyCallSupervision(from: $from, to: $to, branchId: $branchId, language: $language) {
    queueSize claimedNow overdue
    operators { operator { id displayName username } calls completed averageSatisfaction }
    questions { branch { id name code } question text answers average }
  }
}"""
