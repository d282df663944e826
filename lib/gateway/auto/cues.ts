// Cue words for the difficulty estimate (difficulty.ts), in English and Chinese, with the points each adds.
// English words are matched whole (\b also separates a word from a CJK character) and case-insensitively;
// Chinese cues are plain substrings (Chinese has no spaces) and are only looked for in text that holds CJK
// characters, which halves the regex work on English text.

export interface Cue {
  signal: string;
  points: number;
  /** English words (and script-neutral symbols such as LaTeX or ∫). */
  words: RegExp;
  /** Chinese words. */
  cjk?: RegExp;
}

export const CJK_CHAR = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]/;

// ---------------------------------------------------------------------------------------------------------
// Topics: what a request is about. They count in the ask and, discounted, in the conversation before it.

export const CODE_REQUEST: Cue = {
  signal: "code",
  points: 2,
  words:
    /\b(?:code|coding|function|implement(?:ation)?|script|program|algorithm|regex|sql|bug|debug|compile[sr]?|endpoint|python|javascript|typescript|java|golang|rust|c\+\+|c#|kotlin|swift|bash|react|node\.js|dockerfile|leetcode)\b/i,
  // 函数 is also a maths function and 实现 any "achieve": only with a verb of writing code do they mean code.
  cjk: /代码|编程|(?:写|编写|实现)[^。，？！\n]{0,10}(?:函数|类|接口|方法)|脚本|算法|程序|报错|调试|编译/,
};

export const MATH: Cue = {
  signal: "math",
  points: 2.5,
  words:
    /\\(?:frac|int|sum|prod|lim|sqrt|begin|mathbb|mathcal|partial|infty|cdot|alpha|beta|theta|lambda|pi)\b|\$(?=[^$\n]{0,200}[\\^_=])[^$\n]{1,200}\$|[∫∑∏√∞≠∀∃∈⊂⊆∂≡]|\b(?:integral|integrate|derivative|differentiate|equations?|polynomials?|matrix|matrices|eigen\w*|probability|theorem|lemma|corollary|calculus|algebra|geometry|combinatorics|modulo|primes?|prime numbers?|infinitely many|irrational|convergen\w*|inequality|integers?|natural numbers?|induction|abelian|subgroups?|finite groups?|[a-z]\^\d+)\b/i,
  cjk: /积分|导数|微分|方程|矩阵|特征值|概率|定理|引理|极限|收敛|数列|几何|素数|质数|无理数|不等式|整数|自然数|数学归纳法/,
};

export const HARD_MATH: Cue = {
  signal: "hard-math",
  points: 2,
  words:
    /\b(?:manifolds?|topolog\w*|hilbert|banach|measure theory|galois|homomorphism|isomorphism|riemann|lebesgue|stochastic|differential equations?|pde|fourier|laplace transform|group theory|number theory|olympiad)\b/i,
  cjk: /流形|拓扑|群论|环论|测度|偏微分|随机过程|傅里叶|数论|奥数|竞赛题/,
};

export const PROOF: Cue = {
  signal: "proof",
  points: 4,
  words: /\b(?:prove|proof|show that|derive|derivation|disprove)\b/i,
  cjk: /证明|推导|求证/,
};

export const DESIGN: Cue = {
  signal: "design",
  points: 2,
  words: /\b(?:design|architect(?:ure)?)\b/i,
  cjk: /设计|架构/,
};

export const SYSTEM_SCALE: Cue = {
  signal: "system-design",
  points: 2.5,
  words:
    /\b(?:distributed|scalab(?:le|ility)|multi[- ]region|high[- ]availability|fault[- ]toleran(?:t|ce)|consistency|microservices?|sharding|replication|load[- ]balanc\w*|consensus)\b/i,
  cjk: /分布式|高可用|高并发|可扩展|容错|微服务|一致性|分片|负载均衡|千万级|亿级/,
};

// ---------------------------------------------------------------------------------------------------------
// How the ask is asked: requests to reason, kinds of task, constraints. They count in the ask only.

export const ASK_CUES: Cue[] = [
  {
    signal: "think-hard",
    points: 3,
    words:
      /\b(?:think (?:\w+ )?(?:carefully|hard|deeply|thoroughly)|take your time|rigorous(?:ly)?|in[- ]depth|deep[- ]dive|thorough(?:ly)?|reason (?:carefully|through))\b/i,
    cjk: /仔细思考|认真思考|深入|严谨|严格|深度思考|慎重|仔细推敲/,
  },
  {
    // "Think VERY carefully": the client says outright that this deserves the best model.
    signal: "think-hard",
    points: 3,
    words:
      /\b(?:think (?:very|really|extremely|super|extra) (?:carefully|hard|deeply)|ultrathink|think harder|as hard as you can)\b/i,
    cjk: /非常仔细|务必严谨|深度思考|反复推敲|认真仔细/,
  },
  {
    signal: "reasoning-cue",
    points: 2,
    words: /\b(?:step[- ]by[- ]step|chain of thought)\b/i,
    cjk: /一步一步|逐步|分步|循序渐进/,
  },
  {
    signal: "reasoning-cue",
    points: 2,
    words: /\b(?:analy[sz]e|analysis|evaluate|assess|critique|investigate|diagnose|root cause)\b/i,
    cjk: /分析|评估|评价|诊断|剖析/,
  },
  {
    signal: "reasoning-cue",
    points: 1.5,
    words: /\b(?:compare|comparison|contrast|versus|vs\.?|pros and cons|which is better)\b/i,
    cjk: /比较|对比|优缺点|异同/,
  },
  { signal: "trade-offs", points: 2.5, words: /\btrade[- ]?offs?\b/i, cjk: /权衡|利弊|取舍|折中/ },
  {
    signal: "explanation",
    points: 2,
    words: /\b(?:explain|describe|how (?:does|do|did|would)|walk me through|elaborate|what happens when)\b/i,
    cjk: /解释|说明|讲解|讲讲|原理|怎么回事|如何工作/,
  },
  {
    // Long-form writing, when asked for ("write an essay"; "summarise this article" is not writing one).
    signal: "writing",
    points: 2.5,
    words:
      /\b(?:write|draft|compose|create|prepare|generate)\b[^.?!\n]{0,40}\b(?:essay|article|report|blog post|story|cover letter|proposal|speech|chapter|whitepaper)\b/i,
    cjk: /(?:写|撰写|起草|创作)[^。？！\n]{0,12}(?:文章|报告|论文|小说|故事|演讲稿|文案)/,
  },
  { signal: "writing", points: 1, words: /\b(?:summari[sz]e|summary|tl;?dr)\b/i, cjk: /总结|摘要|概括/ },
  {
    signal: "writing",
    points: 1,
    words: /\b(?:haiku|poem|limerick|tweet|slogan|tagline|joke)\b/i,
    cjk: /诗|口号|笑话/,
  },
  {
    signal: "refactor",
    points: 1.5,
    words:
      /\b(?:refactor\w*|optimi[sz]e|review|migrate|port (?:it|this)|improve (?:the )?performance|fix (?:the|this|my) (?:bug|code|error))\b/i,
    cjk: /重构|优化|审查|迁移|重写/,
  },
  {
    // Bugs that need reasoning about time and state, not just reading the line that failed.
    signal: "hard-bug",
    points: 2,
    words:
      /\b(?:deadlocks?|race conditions?|data races?|memory leaks?|segfaults?|segmentation fault|heisenbug|flaky|intermittent(?:ly)?|undefined behaviou?r)\b/i,
    cjk: /死锁|竞态|内存泄漏|偶现/,
  },
  {
    signal: "constraints",
    points: 1,
    words:
      /\b(?:must|requirements?|constraints?|edge cases?|production[- ](?:ready|grade)|thread[- ]safe|time complexity|without using)\b/i,
    cjk: /要求|约束|必须|边界条件|复杂度/,
  },
];

/** "Why" chains: each why (up to two) is a step of reasoning asked for. */
export const WHY = { words: /\bwhy\b/gi, cjk: /为什么|为何/g };

/** Translating or polishing prose: easy for any model, however long the prose. */
export const SIMPLE_REWRITE: Cue = {
  signal: "",
  points: -1.5,
  words:
    /\b(?:translate|translation|rephrase|paraphrase|proofread|(?:fix|correct) (?:the |my )?(?:grammar|spelling|typos?))\b/i,
  cjk: /翻译|译成|改写|润色|校对|纠正语法/,
};

/** Greetings, thanks and fillers; a short message made only of these (and punctuation or emoji) is small talk. */
export const SMALL_TALK_PHRASES =
  /\b(?:hi|hello|hey|yo|good (?:morning|afternoon|evening|night)|thanks|thank you|thx|ok|okay|cool|great|nice|got it|bye|goodbye|how are you(?: doing)?|what'?s up|there|so much|a lot|again|very much|everyone)\b|你好|您好|嗨|哈喽|谢谢|多谢|好的|收到|再见|早上好|晚上好|在吗|啊|呀|哈/gi;
